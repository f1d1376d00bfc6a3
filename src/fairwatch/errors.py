"""One exception hierarchy for Fairwatch; `api.errors` maps it to HTTP responses.

FairwatchError
├── InvalidInput            bad event, request or file; carries a list of Problems   -> 422 / exit 2
│   ├── BadJSON             body is not JSON; names line and column                    -> 400
│   └── ConfigError         a YAML file (rules, site, taxonomy) is invalid              -> exit 2
│       └── ConfigRejected  config.load refused a deployment file; names what and path -> audited, exit 2
├── PolicyViolation         the rights guard refused it; names the ground               -> 422
├── NotFound                no such alarm, user, ...                                    -> 404
├── Gone                    a one-time link used, expired or revoked                    -> 410
├── Conflict                illegal state transition; names state and allowed actions   -> 409
│   └── StaleWrite          another writer changed the row since it was read; names the
│                           object and both versions (optimistic concurrency)          -> 409
│   └── Duplicate           the write would break a uniqueness rule of the store       -> 409
├── Unauthorized            missing or invalid credentials                              -> 401
├── Forbidden               the role may not do this                                    -> 403
├── Overloaded              the writer queue is full; retry later                       -> 503
├── StoreUnavailable        the database failed (full, read-only, ...) or the writer    -> 503
│                           is stopping; names the cause, carries retry_after
└── Unstorable              the store refused a value (constraint, type, range): the    -> 422
                            data is at fault, not the store; carries a correlation id
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (index, field), what was there, and why."""

    field: str
    value: Any
    message: str
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "value": self.value, "message": self.message}

    def __str__(self) -> str:
        where = f"[{self.index}] " if self.index is not None else ""
        return f"{where}{self.field}: {self.message} (got {self.value!r})"


class FairwatchError(Exception):
    """Base of every error Fairwatch raises on purpose."""


class InvalidInput(FairwatchError):
    """The input is malformed; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem], summary: str = "invalid input") -> None:
        self.problems = problems
        self.summary = summary
        super().__init__(summary + ": " + "; ".join(str(p) for p in problems))


class BadJSON(InvalidInput):
    """The body is not valid JSON."""

    def __init__(self, message: str, line: int, column: int) -> None:
        self.line = line
        self.column = column
        self.detail = f"invalid JSON at line {line}, column {column}: {message}"
        super().__init__([Problem("body", None, self.detail)], "invalid JSON")


class ConfigError(InvalidInput):
    """A configuration file is invalid; each message already names file, line and item."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__([Problem("file", None, m) for m in messages], "invalid configuration")

    def __str__(self) -> str:
        return "\n".join(self.messages)


class ConfigRejected(ConfigError):
    """A deployment file was refused; `what` (taxonomy, site, rules, phases, notify) and `path` name it."""

    def __init__(self, what: str, path: Path, messages: list[str]) -> None:
        self.what = what
        self.path = path
        super().__init__(messages)


class PolicyViolation(FairwatchError):
    """The rights guard refused a definition or an event. There is no override."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class NotFound(FairwatchError):
    """The named object does not exist."""


class Gone(FairwatchError):
    """The object existed but cannot be used any more (a one-time link used, expired or revoked)."""


class Conflict(FairwatchError):
    """The action is not allowed in the object's current state."""

    def __init__(self, message: str, state: str, allowed: list[str]) -> None:
        self.state = state
        self.allowed = allowed
        super().__init__(message)


class StaleWrite(Conflict):
    """Another writer changed the object since it was read, so this write was refused (nothing was written)."""

    def __init__(self, obj: str, expected: int, found: int | None) -> None:
        self.object = obj
        self.expected = expected
        self.found = found
        now = f"it is now at version {found}" if found is not None else "it no longer exists"
        super().__init__(
            f"{obj} was changed by another writer after it was read at version {expected} ({now}); "
            "nothing was written: reload it and try again",
            "stale",
            [],
        )


class Duplicate(Conflict):
    """The write would store a second row where the store allows one: an event (id, source) twice, two open
    alarms for one dedup key. Nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "exists", [])


class Unauthorized(FairwatchError):
    """Missing or invalid credentials."""


class Forbidden(FairwatchError):
    """The caller's role may not do this."""


class Overloaded(FairwatchError):
    """The server is shedding load; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class StoreUnavailable(FairwatchError):
    """The database failed, or the writer is not taking work; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class Fenced(StoreUnavailable):
    """A cluster worker lost its partition: a newer owner's epoch is in the fencing row, so this transaction
    was rolled back and the partition must stop here (fairwatch/cluster/fence.py)."""


class Unstorable(FairwatchError):
    """The store refused a value (a constraint, a type or a range it cannot hold). `problems` name the refused
    items; `correlation_id` finds the logged driver error (its text never goes to the caller)."""

    def __init__(self, message: str, problems: list[Problem] | None = None, correlation_id: str = "") -> None:
        self.problems = problems or []
        self.correlation_id = correlation_id
        super().__init__(message)
