"""The PostgreSQL store: the shared store code on a server, for several bot processes."""
