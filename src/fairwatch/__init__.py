"""Fairwatch: events in, alarms out, operators act; and it cannot be turned against people."""

__version__ = "0.1.0"
