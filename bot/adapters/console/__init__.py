"""The console adapter: a terminal chat in one space, the embedded default."""
