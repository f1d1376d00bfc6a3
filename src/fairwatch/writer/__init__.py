"""The single writer: every write (events, operator actions, timer ticks, configuration changes) goes through one
queue and one transaction at a time, with group commit for events and acknowledgement only after commit."""

from fairwatch.writer.pipeline import Pipeline

__all__ = ["Pipeline"]
