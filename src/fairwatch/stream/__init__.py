"""Live fan-out of committed alarm changes to Server-Sent Events subscribers, resumable with Last-Event-ID."""

from fairwatch.stream.hub import Hub, Message

__all__ = ["Hub", "Message"]
