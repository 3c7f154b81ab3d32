"""Operations: the health and metrics endpoints, and moving a community's database."""
