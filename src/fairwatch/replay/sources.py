"""Where replayed events come from: a JSON-lines file (one event per line, the HTTP contract) or the store.

A file has no arrival times, so each event arrives at its own `time` (an event without one arrives with the
previous line). Stored events arrive when the server received them, in the order it stored them.
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from pathlib import Path

import orjson

from fairwatch.errors import ConfigError, InvalidInput
from fairwatch.events import validate_events
from fairwatch.events.validate import parse_time
from fairwatch.model import Event
from fairwatch.schemas import Catalogue
from fairwatch.store import SqlStore, sqlite_url


def read_jsonl(
    path: str | PathLike[str], schemas: Catalogue | None = None, zones: frozenset[str] | None = None
) -> Iterator[Event]:
    """Validated events of a JSON-lines file, lazily; a bad line raises ConfigError naming file:line.

    With `schemas` and `zones` (the replay command passes the deployment's), each line is held to the same
    closed schemas and site zones as ingest (RS-10, RS-12): a replay cannot evaluate what ingest would refuse."""
    name = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below; open errors need their own message
    except OSError as exc:
        raise ConfigError([f"{name}:1: cannot read events file: {exc.strerror or exc}"]) from exc
    with handle:
        arrival: float | None = None
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            event, arrival = _parse_line(name, number, line, arrival, schemas, zones)
            yield event


def _parse_line(
    name: str,
    number: int,
    line: bytes,
    arrival: float | None,
    schemas: Catalogue | None,
    zones: frozenset[str] | None,
) -> tuple[Event, float]:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ConfigError([f"{name}:{number}: invalid JSON: {exc.msg}"]) from None
    when = parse_time(item.get("time")) if isinstance(item, dict) else None
    now = when if when is not None else arrival
    if now is None and isinstance(item, dict) and item.get("time") is None:
        raise ConfigError(
            [f"{name}:{number}: time: required on the first event (it starts the replay clock)"]
        )
    try:
        [event] = validate_events([item], now if now is not None else 0.0, schemas=schemas, zones=zones)
    except InvalidInput as exc:
        raise ConfigError(
            [f"{name}:{number}: {_problem(p.field, p.value, p.message)}" for p in exc.problems]
        ) from None
    return event, event.received


def _problem(field: str, value: object, message: str) -> str:
    return f"{field}: {message} (got {value!r})" if field else f"{message} (got {value!r})"


def open_store(data: Path, database_url: str | None = None) -> SqlStore:
    """The store at `database_url`, else the SQLite store in data directory `data`; ConfigError if there is no
    SQLite store there (never creates one)."""
    if database_url is not None:
        return SqlStore(database_url)
    if not (data / "fairwatch.db").is_file():
        raise ConfigError([f"{data}: no Fairwatch store here (expected {data / 'fairwatch.db'})"])
    return SqlStore(sqlite_url(data))


def acknowledgements(
    store: SqlStore, since: float | None, until: float | None
) -> list[tuple[float, float | None]]:
    """(raised, first acknowledged or None) of every alarm the audit log says was raised in [since, until)."""
    raised: dict[str, float] = {}
    acked: dict[str, float] = {}
    for record in store.iter_audit():
        if record.action == "alarm-raised" and _within(record.time, since, until):
            raised[record.object] = record.time
        elif record.action == "alarm-acknowledged" and record.object in raised:
            acked.setdefault(record.object, record.time)
    return [(t, acked.get(obj)) for obj, t in raised.items()]


def _within(t: float, since: float | None, until: float | None) -> bool:
    return (since is None or t >= since) and (until is None or t < until)
