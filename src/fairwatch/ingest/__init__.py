"""Getting events in: the single writer with group commit, and the transports and adapters that feed it."""

from fairwatch.ingest.pipeline import Pipeline

__all__ = ["Pipeline"]
