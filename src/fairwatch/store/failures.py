"""Driver errors translated at the store boundary: what failed, in words an operator can act on, and whether the
data (`Unstorable`) or the store (`StoreUnavailable`) is at fault. Driver text goes to the log with a
correlation id; it never reaches a caller."""

from __future__ import annotations

import logging
import secrets

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from fairwatch.errors import FairwatchError, StoreUnavailable, Unstorable

log = logging.getLogger(__name__)

# SQLite result code names (primary codes; extended ones such as SQLITE_IOERR_WRITE start with them).
_SQLITE_CAUSES = (
    ("SQLITE_FULL", "database disk is full", 5),
    ("SQLITE_READONLY", "database is read-only", 5),
    ("SQLITE_IOERR", "database disk I/O error", 5),
    ("SQLITE_CANTOPEN", "database file cannot be opened", 5),
    ("SQLITE_CORRUPT", "database file is damaged", 30),
    ("SQLITE_NOTADB", "database file is damaged", 30),
    ("SQLITE_BUSY", "database is locked by another process", 1),
    ("SQLITE_LOCKED", "database is locked by another process", 1),
)
# PostgreSQL SQLSTATE prefixes.
_PG_CAUSES = (
    ("53100", "database disk is full", 5),
    ("25006", "database is read-only", 5),
    ("53", "database is out of resources", 5),
    ("08", "database unreachable", 2),
    ("57P", "database is shutting down", 5),
    ("58", "database disk I/O error", 5),
)


def correlation_id() -> str:
    """A short random id that ties a response to its log line."""
    return secrets.token_hex(6)


def is_data_error(exc: BaseException) -> bool:
    """The store refused a value (constraint, type, range, a Python value the driver cannot bind)."""
    if isinstance(exc, IntegrityError | DataError):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)


def cause(exc: BaseException) -> tuple[str, int]:
    """What is wrong with the store, in plain words, and the seconds a client should wait."""
    orig = getattr(exc, "orig", None)
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        found = next(((text, wait) for code, text, wait in _SQLITE_CAUSES if name.startswith(code)), None)
        if found is not None:
            return found
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        found = next(((text, wait) for code, text, wait in _PG_CAUSES if state.startswith(code)), None)
        if found is not None:
            return found
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "database unreachable", 2
    return "database write failed", 2


def translate(exc: SQLAlchemyError) -> FairwatchError:
    """Our error for a driver error from a write; logs the driver text under a correlation id."""
    cid = correlation_id()
    if is_data_error(exc):
        log.warning("store refused a value [correlation_id=%s]: %s", cid, _driver_text(exc))
        return Unstorable("the store cannot hold a value of this data", correlation_id=cid)
    text, wait = cause(exc)
    log.error("store write failed: %s [correlation_id=%s]: %s", text, cid, _driver_text(exc))
    return StoreUnavailable(text, retry_after=wait)


def _driver_text(exc: SQLAlchemyError) -> str:
    """The driver's message without SQLAlchemy's statement and parameters (they hold other people's data)."""
    orig = getattr(exc, "orig", None)
    return f"{type(orig).__name__}: {orig}" if orig is not None else f"{type(exc).__name__}: {exc}"
