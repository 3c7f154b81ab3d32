"""Storage: ports in `ports.py`, the embedded SQLite implementation in `sqlite/`."""
