"""Links and line counters in site files: strict errors naming item, line and field."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fairwatch.errors import ConfigError
from fairwatch.site import OUTSIDE, LinkKind, parse_site

HEAD = """site: {id: fair, name: Fair, timezone: UTC, plan: {width: 100, height: 50}}
zones:
  - {id: arena, name: Arena, polygon: [[0, 0], [40, 0], [40, 40], [0, 40]], capacity: 100}
  - {id: plaza, name: Plaza, polygon: [[40, 0], [100, 0], [100, 40], [40, 40]], capacity: 200}
"""


def site_text(links: list[str], devices: Sequence[str] = ()) -> str:
    text = HEAD + "links:\n" + "".join(f"  - {x}\n" for x in links)
    if devices:
        text += "devices:\n" + "".join(f"  - {d}\n" for d in devices)
    return text


def test_links_and_counters_parse() -> None:
    site = parse_site(
        site_text(
            [
                "{id: gate-n, from: arena, to: outside, width_m: 5.0, kind: gate}",
                "{id: c-1, from: arena, to: plaza, width_m: 3, kind: corridor, planned_flow: 60}",
            ],
            [
                "{id: cnt-gate-n, kind: line_counter, link: gate-n}",
                "{id: cnt-c1, kind: line_counter, link: c-1, direction: reverse}",
            ],
        ),
        "s.yaml",
    )
    gate = site.link("gate-n")
    assert (gate.from_zone, gate.to_zone, gate.width_m, gate.kind) == ("arena", OUTSIDE, 5.0, LinkKind.GATE)
    assert site.link("c-1").planned_flow == 60.0
    found = site.counter_link("cnt-c1")
    assert found is not None and found[0].id == "c-1" and found[1] is True
    assert site.counter_link("cnt-gate-n") == (gate, False)
    assert site.as_json()["links"][0] == {
        "id": "gate-n",
        "from": "arena",
        "to": "outside",
        "width_m": 5.0,
        "kind": "gate",
        "planned_flow": None,
    }


BAD = [
    (["{id: g, from: arena, to: moon, width_m: 5, kind: gate}"], [], "link 1 ('g'): to: unknown zone 'moon'"),
    (
        ["{id: g, from: arena, to: outside, width_m: 0, kind: gate}"],
        [],
        "width_m: expected a positive number",
    ),
    (["{id: g, from: arena, to: outside, width_m: 2, kind: door}"], [], "unknown link kind 'door'"),
    (["{id: g, from: arena, to: arena, width_m: 2, kind: gate}"], [], "a link joins two different zones"),
    (["{id: g, from: arena, to: outside, kind: gate}"], [], "missing required key 'width_m'"),
    (
        [
            "{id: g, from: arena, to: outside, width_m: 2, kind: gate}",
            "{id: g, from: plaza, to: outside, width_m: 2, kind: gate}",
        ],
        [],
        "link 2 ('g'): id: duplicate id",
    ),
    (
        ["{id: g, from: arena, to: outside, width_m: 2, kind: gate}"],
        ["{id: c, kind: line_counter, link: h}"],
        "device 1 ('c'): link: unknown link 'h'",
    ),
    (
        ["{id: g, from: arena, to: outside, width_m: 2, kind: gate}"],
        ["{id: c, kind: line_counter}"],
        "a line_counter needs the link",
    ),
    (
        ["{id: g, from: arena, to: outside, width_m: 2, kind: gate}"],
        ["{id: c, kind: camera, link: g}"],
        "only a line_counter has a link",
    ),
    (
        ["{id: g, from: arena, to: outside, width_m: 2, kind: gate}"],
        ["{id: c, kind: line_counter, link: g, direction: sideways}"],
        "direction: expected one of forward, reverse",
    ),
]


@pytest.mark.parametrize(("links", "devices", "message"), BAD)
def test_bad_links_are_named(links: list[str], devices: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_site(site_text(links, devices), "s.yaml")
    assert message in str(caught.value)


def test_outside_is_a_reserved_zone_id() -> None:
    text = HEAD + "  - {id: outside, name: Out, polygon: [[0, 40], [10, 40], [10, 50]], capacity: 5}\n"
    with pytest.raises(ConfigError, match="'outside' is reserved"):
        parse_site(text, "s.yaml")


def test_a_site_may_set_its_own_level_of_service_bands() -> None:
    text = site_text(["{id: g, from: arena, to: outside, width_m: 2, kind: gate}"])
    text += "los: {walkway: [10, 20, 30, 40, 50], standing: [1, 2, 3, 4, 5]}\n"
    site = parse_site(text, "s.yaml")
    assert site.walkway_los == (10.0, 20.0, 30.0, 40.0, 50.0)
    assert site.standing_los == (1.0, 2.0, 3.0, 4.0, 5.0)


@pytest.mark.parametrize(
    ("los", "message"),
    [
        ("{walkway: [10, 20, 30, 40]}", "los.walkway: expected five ascending positive numbers"),
        ("{walkway: [10, 20, 30, 40, 40]}", "los.walkway: expected five ascending positive numbers"),
        ("{standing: [0, 1, 2, 3, 4]}", "los.standing: expected five ascending positive numbers"),
        ("{queue: [1, 2, 3, 4, 5]}", "unknown key 'queue' (expected one of walkway, standing)"),
    ],
)
def test_bad_level_of_service_bands_are_named(los: str, message: str) -> None:
    text = site_text(["{id: g, from: arena, to: outside, width_m: 2, kind: gate}"]) + f"los: {los}\n"
    with pytest.raises(ConfigError) as caught:
        parse_site(text, "s.yaml")
    assert message in str(caught.value)


def test_neighbour_counters_share_a_zone_other_than_outside() -> None:
    site = parse_site(
        site_text(
            [
                "{id: a-out, from: arena, to: outside, width_m: 2, kind: gate}",
                "{id: a-plaza, from: arena, to: plaza, width_m: 2, kind: corridor}",
                "{id: p-out, from: plaza, to: outside, width_m: 2, kind: gate}",
            ],
            [
                "{id: c1, kind: line_counter, link: a-out}",
                "{id: c2, kind: line_counter, link: a-plaza}",
                "{id: c3, kind: line_counter, link: p-out}",
            ],
        ),
        "s.yaml",
    )
    assert site.neighbour_counters("c1") == ("c2",)
    assert site.neighbour_counters("c2") == ("c1", "c3")
    assert site.neighbour_counters("c3") == ("c2",)
    assert site.neighbour_counters("nobody") == ()
