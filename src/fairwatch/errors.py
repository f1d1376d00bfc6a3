"""One exception hierarchy for Fairwatch; `api.errors` maps it to HTTP responses.

FairwatchError
├── InvalidInput            bad event, request or file; carries a list of Problems   -> 422 / exit 2
│   ├── BadJSON             body is not JSON; names line and column                    -> 400
│   └── ConfigError         a YAML file (rules, site, taxonomy) is invalid              -> exit 2
│       └── ConfigRejected  config.load refused a deployment file; names what and path -> audited, exit 2
├── PolicyViolation         the rights guard refused it; names the ground               -> 422
├── NotFound                no such alarm, user, ...                                    -> 404
├── Conflict                illegal state transition; names state and allowed actions   -> 409
├── Unauthorized            missing or invalid credentials                              -> 401
├── Forbidden               the role may not do this                                    -> 403
├── Overloaded              the writer queue is full; retry later                       -> 503
└── StoreUnavailable        the database failed; translated from driver errors          -> 503
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


class Conflict(FairwatchError):
    """The action is not allowed in the object's current state."""

    def __init__(self, message: str, state: str, allowed: list[str]) -> None:
        self.state = state
        self.allowed = allowed
        super().__init__(message)


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
    """The database failed."""
