"""Live fan-out of committed alarm changes to Server-Sent Events subscribers, resumable with Last-Event-ID; each
stream knows its caller, so streams end when access ends or the server stops (`sse` is the HTTP endpoint)."""

from fairwatch.stream.hub import Ended, Hub, Message, Shutdown

__all__ = ["Ended", "Hub", "Message", "Shutdown"]
