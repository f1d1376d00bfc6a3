"""Rules see declared measurements only (RS-11): with the schemas in force, each refusal names file, line, rule,
field and what is declared instead."""

from __future__ import annotations

import pytest

from fairwatch.errors import ConfigError
from fairwatch.rules import parse_rules
from fairwatch.schemas import builtin


def errors(when: str, extra: str = "") -> list[str]:
    text = f"rules:\n  - id: r\n    alarm: fire.suspected\n    severity: high\n    when: {when}\n{extra}"
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "r.yaml", schemas=builtin())
    return caught.value.messages


def test_an_undeclared_event_type_is_refused() -> None:
    assert errors("{type: camera.symbol}") == [
        "r.yaml:5: rule 1 ('r'): when.type: unknown event type 'camera.symbol': no event schema declares it"
    ]


def test_an_undeclared_data_key_is_refused_naming_what_is_declared() -> None:
    assert errors("{type: camera.detection, data.symbol: crescent}") == [
        "r.yaml:5: rule 1 ('r'): when.data.symbol: 'symbol' is not a declared field of event type"
        " 'camera.detection' (declared: confidence, object)"
    ]


def test_narrative_is_never_evaluated() -> None:
    assert errors("{type: report.medical, data.text: {in: [fainted]}}") == [
        "r.yaml:5: rule 1 ('r'): when.data.text: 'text' of event type 'report.medical' is narrative text: rules"
        " never evaluate it (declared measurements: casualties, category, severity)"
    ]


def test_string_matching_only_with_values_of_the_enum() -> None:
    assert errors("{type: gate.status, data.state: {in: [open, waving]}}") == [
        "r.yaml:5: rule 1 ('r'): when.data.state: expected a value of the enum 'state' (open, closed, blocked,"
        " fault) (got 'waving')"
    ]
    assert errors("{type: crowd.density, data.count: 'many'}") == [
        "r.yaml:5: rule 1 ('r'): when.data.count: expected a number ('count' is number (persons); string matching"
        " applies to closed enums only) (got 'many')"
    ]
    assert errors("{type: gate.status, data.state: {gt: 2}}") == [
        "r.yaml:5: rule 1 ('r'): when.data.state: operator 'gt' compares numbers; 'state' is enum (open, closed,"
        " blocked, fault)"
    ]


def test_group_by_takes_declared_measurements_only() -> None:
    assert errors("{type: report.medical}", "    group_by: [zone, data.text, data.seat]\n") == [
        "r.yaml:6: rule 1 ('r'): group_by[1]: 'text' of event type 'report.medical' is narrative text: rules never"
        " evaluate it (declared measurements: casualties, category, severity)",
        "r.yaml:6: rule 1 ('r'): group_by[2]: 'seat' is not a declared field of event type 'report.medical'"
        " (declared: casualties, category, severity)",
    ]


def test_corroboration_parts_and_clear_are_checked_too() -> None:
    when = "{all: [{type: smoke.detected}, {type: camera.detection, data.flag: true}], within: 1m}"
    assert errors(when) == [
        "r.yaml:5: rule 1 ('r'): when.all[1].data.flag: 'flag' is not a declared field of event type"
        " 'camera.detection' (declared: confidence, object)"
    ]
    assert errors("{type: gate.status, data.state: blocked}", "    clear: {data.colour: red}\n") == [
        "r.yaml:6: rule 1 ('r'): clear.data.colour: 'colour' is not a declared field of event type 'gate.status'"
        " (declared: state)"
    ]


def test_declared_measurements_pass() -> None:
    text = """rules:
  - id: gate
    alarm: crowd_safety.blocked_egress
    severity: high
    when: {type: gate.status, data.state: {in: [blocked, closed]}, for: 30s}
    group_by: [zone, data.state]
  - id: medical
    alarm: medical.cluster
    severity: high
    when: {type: report.medical, data.category: fainting, count: {gte: 3, within: 10m}}
    group_by: [zone]
  - id: crowd
    alarm: crowd_safety.high_density
    severity: medium
    when: {type: crowd.density, value: {gt: 4}, data.count: {gte: 100}}
    group_by: [zone]
  - id: left-bag
    alarm: other_safety.unattended_item
    severity: high
    when: {type: camera.object.bag, data.stationary: true, value: {gte: 0.7}}
    group_by: [zone]
"""
    assert len(parse_rules(text, "r.yaml", schemas=builtin()).rules) == 4
