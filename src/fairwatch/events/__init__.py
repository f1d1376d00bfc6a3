"""Normalise and validate raw event payloads into `model.Event`, listing every problem with its position."""

from fairwatch.events.validate import (
    MAX_BATCH,
    MAX_BODY,
    decode_body,
    validate_events,
)

__all__ = ["MAX_BATCH", "MAX_BODY", "decode_body", "validate_events"]
