"""People counts raise alarms only as crowd safety (rules.people): attendance counting is refused by threshold,
whatever the zone is called; crowd-safety thresholds on the same measures pass.

Test site (helpers.SITE): `square` capacity 100, `tent` capacity 10, `field` capacity 4000 on 1000 m².
"""

from __future__ import annotations

import pytest

from fairwatch.errors import ConfigError
from fairwatch.rules import parse_rules
from fairwatch.schemas import builtin
from fairwatch.site import parse_site
from tests.rules.helpers import SITE

HEAD = "rules:\n  - id: r\n    alarm: crowd_safety.overcapacity\n    severity: high\n"


def messages(when: str, site: object = SITE, *extra: str) -> list[str]:
    text = HEAD + f"    when: {when}\n" + "".join(f"    {line}\n" for line in extra)
    try:
        parse_rules(text, "rules.yaml", site=site, schemas=builtin())  # type: ignore[arg-type]
    except ConfigError as exc:
        return exc.messages
    return []


PREFIX = "rules.yaml:5: rule 1 ('r'): "

# (case id, `when`, the start of the message after the prefix, or None when the rule is accepted)
CASES = [
    ("occupancy-few", "{occupancy: {zone: square, gt: 5}}",
     "when.occupancy.gt: a people count raises an alarm only at 0.5 of capacity or more: zone 'square' holds 100, so at least 50"),
    ("occupancy-half", "{occupancy: {zone: square, gte: 50}}", None),
    ("occupancy-share-low", "{occupancy: {zone: square, gte: 0.1, of: capacity}}",
     "when.occupancy.gte: a share of capacity below 0.5 is not a crowd-safety threshold"),
    ("occupancy-share-high", "{occupancy: {zone: square, gte: 0.9, of: capacity}}", None),
    ("occupancy-band", "{occupancy: {zone: field, gte: 0.9, lt: 2, of: capacity}}", None),
    ("occupancy-too-few", "{occupancy: {zone: square, lt: 20}}",
     "when.occupancy.lt: 'lt' above 0 on a people measurement alarms on too few people"),
    ("occupancy-empty", "{occupancy: {zone: square, lte: 0}}", None),
    ("raw-count-few", "{type: crowd.count, zone: tent, value: {gte: 3}}",
     "when.value.gte: a people count raises an alarm only at 0.5 of capacity or more: zone 'tent' holds 10, so at least 5"),
    ("raw-count-equal", "{type: crowd.count, zone: square, value: 60}", "when.value.eq: 'eq' on a people measurement counts attendance"),
    ("raw-count-any-zone", "{type: crowd.count, value: {gte: 100}}",
     "when.value.gte: a people count raises an alarm only at 0.5 of capacity or more: zone 'field' holds 4000, so at least 2000"),
    ("queue-long", "{type: queue.length, zone: field, value: {gte: 2500}}", None),
    ("data-count", "{type: crowd.density, zone: square, data.count: {gt: 4}}",
     "when.data.count.gt: a people count raises an alarm only at 0.5 of capacity or more"),
    ("density-presence", "{density: {zone: field, gt: 0.1}}",
     "when.density.gt: a density below 2.0 persons/m2 (the lowest crowd-safety landmark) counts presence"),
    ("density-landmark", "{density: {zone: field, gt: 4}}", None),
    ("raw-density-presence", "{type: crowd.density, zone: field, value: {gt: 0.5}}", "when.value.gt: a density below 2.0"),
    ("camera-person-count", "{type: camera.detection, data.object: person, count: {gte: 20, within: 1h}}",
     "when.count: counting camera person detections measures attendance"),
    ("camera-person-presence", "{type: camera.detection, zone: square, data.object: person}", None),
    ("camera-smoke-count", "{type: camera.detection, data.object: smoke, count: {gte: 3, within: 1m}}", None),
    ("filling-fast", "{occupancy: {zone: square, rate: {per: 1m, gt: 20, window: 2m}}}", None),
    ("not-people", "{type: temperature, zone: square, value: {gt: 5}}", None),
]  # fmt: skip


@pytest.mark.parametrize(("when", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_people_thresholds(when: str, expected: str | None) -> None:
    found = messages(when)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(PREFIX + expected), found


def test_clear_conditions_are_not_judged() -> None:
    clear = "clear: {occupancy: {lt: 10, for: 1m}}"
    assert messages("{occupancy: {zone: square, gte: 90}}", SITE, clear) == []


def test_without_a_site_a_count_needs_a_crowd() -> None:
    assert messages("{type: crowd.count, value: {gte: 100}}", None) == []
    (message,) = messages("{type: crowd.count, value: {gte: 30}}", None)
    assert (
        "no site gives a capacity, so a people count raises an alarm only at 100 persons or more" in message
    )


def test_the_zone_name_does_not_decide_a_prayer_hall_at_capacity_is_safety_work() -> None:
    """The same room: counting who attends is refused, crowding it past capacity is an alarm."""
    site = parse_site(
        "site: {id: s, name: S, timezone: UTC, plan: {width: 10, height: 10}}\n"
        "zones:\n  - {id: prayer-hall, name: Prayer Hall, polygon: [[0, 0], [5, 0], [5, 5], [0, 5]], capacity: 300}\n",
        "site.yaml",
    )
    assert messages("{occupancy: {zone: prayer-hall, gte: 0.9, of: capacity}}", site) == []
    assert messages("{occupancy: {zone: prayer-hall, gte: 270}}", site) == []
    assert messages("{occupancy: {zone: prayer-hall, gt: 5}}", site) != []
    assert messages("{occupancy: {zone: prayer-hall, lt: 40}}", site) != []
