"""The site's `sound` setting: which alarms the console sounds for, how long a mute lasts, and the exact message
for every way it can be wrong. A staff panic alarm sounds whatever the file says."""

from __future__ import annotations

import pytest

from fairwatch.errors import ConfigError
from fairwatch.site import SoundPolicy, parse_site

SITE = """\
site:
  id: fair
  name: Fair
  timezone: Europe/London
  plan: {width: 100, height: 50}
zones:
  - {id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40], [0, 40]], capacity: 100}
"""  # `sound:` is line 8, its first key line 9


def sound(text: str) -> SoundPolicy:
    return parse_site(SITE + text, "t.site.yaml").sound


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_site(SITE + text, "t.site.yaml")
    return info.value.messages


def test_without_a_sound_setting_critical_high_and_panic_sound() -> None:
    policy = sound("")
    assert policy == SoundPolicy()
    assert policy.as_json() == {
        "severities": ["critical", "high"],
        "types": ["violence.panic_alarm"],
        "mute_minutes": 5,
    }


# (case id, severity, type, sounds with the default policy)
DEFAULT_CASES = [
    ("critical", "critical", "fire.suspected", True),
    ("high", "high", "crowd_safety.high_density", True),
    ("medium", "medium", "weather.heat", False),
    ("low", "low", "technical.sensor_fault", False),
    ("panic-even-if-low", "low", "violence.panic_alarm", True),
]


@pytest.mark.parametrize(
    ("severity", "kind", "expected"), [c[1:] for c in DEFAULT_CASES], ids=[c[0] for c in DEFAULT_CASES]
)
def test_what_sounds_by_default(severity: str, kind: str, expected: bool) -> None:
    assert SoundPolicy().sounds(severity, kind) is expected


def test_a_site_chooses_severities_types_and_mute_minutes_and_panic_still_sounds() -> None:
    policy = sound("sound:\n  severities: [critical]\n  types: [weather.heat]\n  mute_minutes: 15\n")
    assert policy.severities == ("critical",)
    assert policy.mute_minutes == 15
    assert policy.sounds("medium", "weather.heat")
    assert not policy.sounds("high", "crowd_safety.high_density")
    assert policy.sounds("high", "violence.panic_alarm")  # the file cannot silence a panic button
    assert policy.as_json()["types"] == ["violence.panic_alarm", "weather.heat"]


def test_an_empty_severity_list_leaves_only_the_listed_types_and_panic() -> None:
    policy = sound("sound: {severities: []}\n")
    assert not policy.sounds("critical", "fire.suspected")
    assert policy.sounds("high", "violence.panic_alarm")


ERRORS = [
    (
        "unknown-key",
        "sound:\n  volume: 11\n",
        ["t.site.yaml:9: sound: unknown key 'volume' (expected one of severities, types, mute_minutes)"],
    ),
    (
        "not-a-mapping",
        "sound: loud\n",
        ["t.site.yaml:8: sound: expected a mapping (got 'loud')"],
    ),
    (
        "unknown-severity",
        "sound:\n  severities: [critical, urgent]\n",
        [
            "t.site.yaml:9: sound.severities[1]: unknown severity (expected one of critical, high, medium, low, "
            "info) (got 'urgent')"
        ],
    ),
    (
        "severities-not-a-list",
        "sound:\n  severities: critical\n",
        [
            "t.site.yaml:9: sound.severities: expected a list of severities (critical, high, medium, low, info) "
            "(got 'critical')"
        ],
    ),
    (
        "bad-type",
        "sound:\n  types: [Fire]\n",
        ["t.site.yaml:9: sound.types[0]: expected an alarm type id such as fire.suspected (got 'Fire')"],
    ),
    (
        "mute-zero",
        "sound:\n  mute_minutes: 0\n",
        ["t.site.yaml:9: sound.mute_minutes: expected a whole number of minutes from 1 to 60 (got 0)"],
    ),
    (
        "mute-too-long",
        "sound:\n  mute_minutes: 600\n",
        ["t.site.yaml:9: sound.mute_minutes: expected a whole number of minutes from 1 to 60 (got 600)"],
    ),
    (
        "mute-bool",
        "sound:\n  mute_minutes: yes\n",
        ["t.site.yaml:9: sound.mute_minutes: expected a whole number of minutes from 1 to 60 (got True)"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_a_bad_sound_setting_names_file_line_and_field(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected
