"""Phosphore: polls, idea wall, event sign-up and live threads for community spaces."""

__version__ = "0.1.0"
