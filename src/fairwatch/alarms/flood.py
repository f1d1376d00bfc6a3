"""Flood control (ISA-18.2 counts more than 10 alarms in 10 minutes per operator as a flood).

When many alarms of one type open in one place within a short window, the newest ones are grouped under the
oldest as its children: each child is still a real alarm with its own history, but the queue shows one row
with "+N related" instead of a wall of look-alikes. The decision is pure; `AlarmService` applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fairwatch.model import Alarm


@dataclass(frozen=True, slots=True)
class FloodMember:
    """What the flood decision needs of an open alarm; `raised` is its first_seen."""

    id: int
    type: str
    site: str | None
    zone: str | None
    raised: float
    parent_id: int | None = None

    @classmethod
    def of(cls, alarm: Alarm, parent_id: int | None = None) -> FloodMember:
        """The member for `alarm`, grouped under `parent_id` if it is a child."""
        return cls(alarm.id, alarm.type, alarm.site, alarm.zone, alarm.first_seen, parent_id)

    @property
    def group(self) -> tuple[str, str | None, str | None]:
        """Alarms flood together when they share type, site and zone (no zone counts as one place)."""
        return (self.type, self.site, self.zone)


def flood_parent(
    open_alarms: Iterable[FloodMember], new_alarm: FloodMember, now: float, threshold: int, window: float
) -> int | None:
    """The id of the alarm `new_alarm` joins as a child, or None if it stays top-level.

    It joins when at least `threshold` other open alarms of its group were raised within `window` seconds
    before `now` (inclusive). The parent is the oldest of them; one that is already a child stands for its
    (open) parent, so a flood longer than the window stays under one parent and groups never nest.
    A threshold of 0 or less turns grouping off.
    """
    if threshold <= 0:
        return None
    group = new_alarm.group
    members = {a.id: a for a in open_alarms if a.group == group and a.id != new_alarm.id}
    recent = [a for a in members.values() if now - a.raised <= window]
    if len(recent) < threshold:
        return None
    roots: list[FloodMember] = []
    for member in recent:
        if member.parent_id is None:
            roots.append(member)
            continue
        parent = members.get(member.parent_id)
        if parent is not None and parent.parent_id is None:
            roots.append(parent)
    if not roots:
        return None  # only children of resolved parents: the new alarm starts afresh
    return min(roots, key=lambda a: (a.raised, a.id)).id
