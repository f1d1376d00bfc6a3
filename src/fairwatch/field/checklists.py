"""Readiness checks before opening: checklists per checkpoint, read strictly from YAML, ticked on the phones of
the units they are assigned to, summed up per zone, and a gate that keeps a phase (`opening`) from switching while
a severe item has failed and no supervisor has resolved or overridden it (with a reason, audited).

    checklists:
      - id: exit-4                         # letters, digits, - and _
        checkpoint: Exit 4                 # a name (passes the rights guard's name check)
        zone: river-walk                   # a zone of the site (when a site is loaded)
        unit: Steward North                # the unit that ticks it
        gate: opening                      # the phase a severe failure holds (default: opening)
        items:
          - {id: clear, text: Exit 4 unobstructed, severity: critical}
          - {id: extinguisher, text: Fire extinguisher present, severity: medium}

An item's state is kept in the store's small keyed state (`checklist.<checklist>.<item>`): pending (no entry),
`ok`, `failed`, or `resolved` (a supervisor resolved or overrode the failure). The decisions are pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from os import PathLike
from typing import Any

import orjson

from fairwatch.errors import ConfigError, Conflict, InvalidInput, NotFound, Problem
from fairwatch.model import AuditEntry
from fairwatch.policy import Violation, check_name, check_text
from fairwatch.store import StateReads, StateTxn
from fairwatch.yamlfile import Node, Reader, compose, read_text

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SEVERITIES = ("low", "medium", "high", "critical")
SEVERE = frozenset({"high", "critical"})
KV_PREFIX = "checklist."


class ItemState(StrEnum):
    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"
    RESOLVED = "resolved"  # a failure a supervisor resolved or overrode, with a reason


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    text: str
    severity: str


@dataclass(frozen=True, slots=True)
class Checklist:
    id: str
    checkpoint: str
    zone: str | None
    unit: str | None
    gate: str
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise NotFound(f"checklist {self.id!r} has no item {item_id!r}")


@dataclass(frozen=True, slots=True)
class Checklists:
    """The deployment's checklists (none without a file)."""

    lists: tuple[Checklist, ...] = ()

    def get(self, checklist_id: str) -> Checklist:
        for c in self.lists:
            if c.id == checklist_id:
                return c
        raise NotFound(f"no checklist {checklist_id!r}")

    def for_unit(self, unit_name: str) -> list[Checklist]:
        return [c for c in self.lists if c.unit == unit_name]


# -- reading the file ----------------------------------------------------------------------------------------
def load_checklists(path: str | PathLike[str], zones: frozenset[str] | None = None) -> Checklists:
    """Read and check a checklists file; ConfigError lists every problem."""
    return parse_checklists(read_text(path, "checklists"), str(path), zones)


def parse_checklists(
    text: str, filename: str = "checklists.yaml", zones: frozenset[str] | None = None
) -> Checklists:
    reader = Reader(filename)
    root, syntax_error = compose(text, filename)
    if syntax_error is not None:
        raise ConfigError([syntax_error])
    if root is None:
        raise ConfigError([f"{filename}:1: the file is empty (expected a mapping with 'checklists')"])
    top = reader.mapping(root, "", ["checklists"], ["checklists"])
    nodes = (
        reader.sequence(top["checklists"][1], "checklists", "checklists")
        if top and "checklists" in top
        else None
    )
    lists: list[Checklist] = []
    for n, node in enumerate(nodes or [], 1):
        reader.item = f"checklist {n}"
        found = _checklist(reader, node, zones)
        if found is not None:
            if any(c.id == found.id for c in lists):
                reader.error(node, "id", "a second checklist with this id", got=found.id)
            lists.append(found)
    reader.raise_if_any()
    return Checklists(tuple(lists))


_KEYS = ["id", "checkpoint", "zone", "unit", "gate", "items"]


def _checklist(reader: Reader, node: Node, zones: frozenset[str] | None) -> Checklist | None:
    e = reader.mapping(node, "", _KEYS, ["id", "checkpoint", "items"])
    if not e or not {"id", "checkpoint", "items"} <= set(e):
        return None
    cid = _ident(reader, e["id"][1], "id")
    checkpoint = _text(reader, e["checkpoint"][1], "checkpoint", name=True)
    zone = reader.string(e["zone"][1], "zone") if "zone" in e else None
    if zone is not None and zones is not None and zone not in zones:
        reader.error(e["zone"][1], "zone", "not a zone of the site", got=zone)
    unit = _text(reader, e["unit"][1], "unit", name=True) if "unit" in e else None
    gate = _ident(reader, e["gate"][1], "gate") if "gate" in e else "opening"
    items: list[Item] = []
    nodes = reader.sequence(e["items"][1], "items", "items")
    for i, item_node in enumerate(nodes or []):
        item = _item(reader, item_node, f"items[{i}]")
        if item is not None:
            if any(x.id == item.id for x in items):
                reader.error(item_node, f"items[{i}].id", "a second item with this id", got=item.id)
            items.append(item)
    if nodes == []:
        reader.error(e["items"][1], "items", "a checklist has at least one item")
    if cid is None or checkpoint is None or gate is None:
        return None
    return Checklist(cid, checkpoint, zone, unit, gate, tuple(items))


def _item(reader: Reader, node: Node, path: str) -> Item | None:
    e = reader.mapping(node, path, ["id", "text", "severity"], ["id", "text", "severity"])
    if not e or len(e) != 3:
        return None
    iid = _ident(reader, e["id"][1], f"{path}.id")
    text = _text(reader, e["text"][1], f"{path}.text", name=False)
    severity = reader.string(e["severity"][1], f"{path}.severity")
    if severity is not None and severity not in SEVERITIES:
        reader.error(
            e["severity"][1], f"{path}.severity", f"must be one of {', '.join(SEVERITIES)}", got=severity
        )
        return None
    if iid is None or text is None or severity is None:
        return None
    return Item(iid, text, severity)


def _ident(reader: Reader, node: Node, path: str) -> str | None:
    value = reader.string(node, path)
    if value is not None and not ID_RE.match(value):
        reader.error(node, path, "must be 1-64 of a-z, 0-9, '-', '_'", got=value)
        return None
    return value


def _text(reader: Reader, node: Node, path: str, *, name: bool) -> str | None:
    value = reader.string(node, path)
    if value is None:
        return None
    if len(value) > 200:
        reader.error(node, path, "at most 200 characters", got=value[:40] + "...")
        return None
    refused = check_name(value) if name else check_text(value)
    if isinstance(refused, Violation):
        why = f"{refused.ground.value}: '{refused.term}' ({refused.reason})"
        reader.error(node, path, f"refused by the rights guard: {why}", got=value)
        return None
    if refused is not None:
        reader.error(node, path, f"refused by the rights guard: {refused.reason}", got=value)
        return None
    return value


# -- state, readiness and the gate (pure over the states read) ---------------------------------------------------
def key(checklist_id: str, item_id: str) -> str:
    return f"{KV_PREFIX}{checklist_id}.{item_id}"


def state_of(raw: str | None) -> dict[str, Any]:
    """An item's stored state ({state, by, at, reason?}); pending when nothing is stored."""
    return {"state": ItemState.PENDING.value} if raw is None else dict(orjson.loads(raw))


def states(store: StateReads, lists: Checklists) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item's state, by (checklist, item)."""
    return {(c.id, i.id): state_of(store.get_kv(key(c.id, i.id))) for c in lists.lists for i in c.items}


def blocking(lists: Checklists, found: dict[tuple[str, str], dict[str, Any]], phase: str) -> list[str]:
    """The failed severe items, not resolved, of checklists gating `phase` (why it may not switch)."""
    return [
        f"{c.checkpoint}: {i.text} ({i.severity})"
        for c in lists.lists
        if c.gate == phase
        for i in c.items
        if i.severity in SEVERE and found[(c.id, i.id)]["state"] == ItemState.FAILED.value
    ]


def readiness(lists: Checklists, found: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """Per zone: how many items are ok, failed, pending or resolved, whether it is ready, and its checklists."""
    zones: dict[str, dict[str, Any]] = {}
    for c in lists.lists:
        z = zones.setdefault(c.zone or "", {"zone": c.zone, "ok": 0, "failed": 0, "pending": 0, "resolved": 0,
                                            "severe_failed": 0, "checklists": []})  # fmt: skip
        items = []
        for i in c.items:
            s = found[(c.id, i.id)]
            z[s["state"]] += 1
            if s["state"] == ItemState.FAILED.value and i.severity in SEVERE:
                z["severe_failed"] += 1
            items.append({"id": i.id, "text": i.text, "severity": i.severity, **s})
        z["checklists"].append(
            {"id": c.id, "checkpoint": c.checkpoint, "unit": c.unit, "gate": c.gate, "items": items}
        )
    for z in zones.values():
        z["ready"] = z["failed"] == 0 and z["pending"] == 0
    return list(zones.values())


# -- writes (through the single writer) --------------------------------------------------------------------------
def tick(
    txn: StateTxn, lists: Checklists, checklist_id: str, item_id: str, state: Any, actor: str, now: float
) -> dict[str, Any]:
    """Tick an item `ok` or `failed`; audited as checklist-item-ticked."""
    checklist = lists.get(checklist_id)
    item = checklist.item(item_id)
    if state not in (ItemState.OK.value, ItemState.FAILED.value):
        raise InvalidInput([Problem("state", state, "must be ok or failed")], "invalid tick")
    value = {"state": state, "by": actor, "at": now}
    txn.set_kv(key(checklist.id, item.id), orjson.dumps(value).decode())
    details = {"checkpoint": checklist.checkpoint, "item": item.id, "state": state, "severity": item.severity}
    txn.append_audit(AuditEntry(now, actor, "checklist-item-ticked", f"checklist:{checklist.id}", details))
    return value


def resolve(
    txn: StateTxn,
    store: StateReads,
    lists: Checklists,
    checklist_id: str,
    item_id: str,
    reason: Any,
    actor: str,
    now: float,
) -> dict[str, Any]:
    """A supervisor resolves or overrides a failed item, with a reason; audited as checklist-item-overridden."""
    checklist = lists.get(checklist_id)
    item = checklist.item(item_id)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise InvalidInput(
            [Problem("reason", reason, "a reason of 1-1000 characters is required")], "invalid override"
        )
    current = state_of(store.get_kv(key(checklist.id, item.id)))
    if current["state"] != ItemState.FAILED.value:
        raise Conflict(
            f"item {item.id!r} of {checklist.id!r} is {current['state']}, not failed", current["state"], []
        )
    value = {"state": ItemState.RESOLVED.value, "by": actor, "at": now, "reason": reason}
    txn.set_kv(key(checklist.id, item.id), orjson.dumps(value).decode())
    details = {
        "checkpoint": checklist.checkpoint,
        "item": item.id,
        "severity": item.severity,
        "reason": reason,
    }
    txn.append_audit(
        AuditEntry(now, actor, "checklist-item-overridden", f"checklist:{checklist.id}", details)
    )
    return value
