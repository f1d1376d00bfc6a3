"""The runtime Taxonomy: additions, tombstones, and the rights guard on every way in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairwatch.errors import ConfigError, NotFound, PolicyViolation, Problem
from fairwatch.model import Severity
from fairwatch.taxonomy import AlarmType, Taxonomy

QUEUE = AlarmType(
    id="crowd_safety.queue_overflow",
    names={"en": "Queue overflow"},
    description="The queue has grown past its barriers.",
    severity=Severity.MEDIUM,
    hazard_class="crowd_safety",
    cap_category="Safety",
    origin="site",
)


def test_with_additions_adds_site_types_and_keeps_builtin_ones() -> None:
    builtin = Taxonomy.builtin()
    taxonomy = builtin.with_additions([QUEUE])
    assert (len(taxonomy), taxonomy.get(QUEUE.id), taxonomy.all()[-1], len(builtin)) == (
        len(builtin) + 1, QUEUE, QUEUE, len(taxonomy) - 1,
    )  # fmt: skip


def test_unknown_type_is_none_and_inactive() -> None:
    taxonomy = Taxonomy.builtin()
    assert (taxonomy.get("fire.nope"), taxonomy.is_active("fire.nope"), "fire.nope" in taxonomy) == (
        None,
        False,
        False,
    )


def test_retire_keeps_a_tombstone() -> None:
    before = Taxonomy.builtin()
    after = before.retire("weather.heat")
    tombstone = after.get("weather.heat")
    assert tombstone is not None
    assert (tombstone.status, after.is_active("weather.heat"), len(after), tombstone in after.all()) == (
        "retired", False, len(before), True,
    )  # fmt: skip
    assert "weather.heat" not in [t.id for t in after.active()]
    assert before.is_active("weather.heat")  # immutable: the original is unchanged


def test_retire_twice_is_harmless() -> None:
    once = Taxonomy.builtin().retire("weather.heat")
    assert once.retire("weather.heat").get("weather.heat") == once.get("weather.heat")


def test_retire_unknown_type_is_not_found() -> None:
    with pytest.raises(NotFound) as info:
        Taxonomy.builtin().retire("fire.nope")
    assert str(info.value) == "no alarm type 'fire.nope'"


def test_site_tombstone_is_listed_but_inactive() -> None:
    taxonomy = Taxonomy.builtin().with_additions([replace(QUEUE, status="retired")])
    assert (QUEUE.id in taxonomy, taxonomy.is_active(QUEUE.id)) == (True, False)


def test_with_additions_refuses_a_duplicate_id() -> None:
    with pytest.raises(ConfigError) as info:
        Taxonomy.builtin().with_additions([replace(QUEUE, id="fire.suspected", hazard_class="fire")])
    assert info.value.messages == ["type 'fire.suspected' is already defined (builtin)"]


REFUSED = [
    # id, changed field, problem field, message
    ("name", {"names": {"en": "Protest watch"}}, "crowd_safety.queue_overflow.names.en",
     "REJECTED crowd_safety.queue_overflow: peaceful_assembly: protest (targets peaceful assembly; en lexicon)"),
    ("description", {"description": "Petitioners queueing at the gate"}, "crowd_safety.queue_overflow.description",
     "REJECTED crowd_safety.queue_overflow: petitioning: petition (targets petitioning the authorities; en lexicon)"),
    ("hazard-class", {"id": "assembly.march", "hazard_class": "assembly"}, "assembly.march.hazard_class",
     "REJECTED assembly.march: closed_hazard_classes: assembly (hazard class outside the closed list, RS-1)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_with_additions_runs_the_rights_guard(changes: dict[str, object], field: str, message: str) -> None:
    bad = replace(QUEUE, **changes)  # type: ignore[arg-type]
    with pytest.raises(PolicyViolation) as info:
        Taxonomy.builtin().with_additions([QUEUE, bad])
    assert info.value.problems == [Problem(field=field, value=bad.id, message=message)]


def test_alarm_types_hash_by_identity_and_status() -> None:
    assert len({QUEUE, replace(QUEUE), replace(QUEUE, status="retired")}) == 2
