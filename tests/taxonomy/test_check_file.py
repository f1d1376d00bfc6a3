"""`fairwatch taxonomy check PATH`: one REJECTED line per refused type; exit 0, 1 or 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.errors import ConfigError, PolicyViolation
from fairwatch.taxonomy import Rejection, Taxonomy, check_taxonomy_file, format_rejection, load_additions

EXAMPLE = Path(__file__).parents[2] / "examples" / "taxonomy" / "riverside-additions.yaml"

MIXED = """\
taxonomy:
  - id: weather.river_level_high
    names: {en: River level high}
    description: The river gauge reads above flood level.
    severity: high
    hazard_class: weather
    cap_category: Met
  - id: protest.march
    names: {en: March}
    description: A march.
    severity: high
    hazard_class: protest
    cap_category: Safety
  - id: crowd_safety.class_c
    names: {en: Crowd, zh: 上訪類}
    description: Crowd.
    severity: high
    hazard_class: crowd_safety
    cap_category: Safety
  - id: other_safety.watch
    names: {en: Watchlist face match}
    description: Camera analytics.
    severity: high
    hazard_class: other_safety
    cap_category: Safety
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_additions_all_pass() -> None:
    result = check_taxonomy_file(EXAMPLE)
    assert (result.exit_code, result.lines(), len(result.accepted)) == (0, [], 3)


def test_example_additions_load_into_the_taxonomy() -> None:
    taxonomy = Taxonomy.from_file(EXAMPLE)
    assert [t.id for t in taxonomy.all() if t.origin == "site"] == [
        "weather.river_level_high", "crowd_safety.queue_overflow", "other_safety.lost_property_hazard",
    ]  # fmt: skip


def test_one_line_per_rejected_type_and_exit_1(tmp_path: Path) -> None:
    result = check_taxonomy_file(write(tmp_path, MIXED))
    assert result.exit_code == 1
    assert [t.id for t in result.accepted] == ["weather.river_level_high"]
    assert result.lines() == [
        "REJECTED protest.march: closed_hazard_classes: protest (hazard class outside the closed list, RS-1)",
        "REJECTED crowd_safety.class_c: petitioning: 上访 (targets petitioning the authorities; zh lexicon)",
        "REJECTED other_safety.watch: biometric_identification: watchlist "
        "(identifies or categorises people biometrically; en lexicon)",
    ]


def test_rejection_names_field_and_line(tmp_path: Path) -> None:
    result = check_taxonomy_file(write(tmp_path, MIXED))
    assert [(r.field, r.line) for r in result.rejected] == [
        ("hazard_class", 12),
        ("names.zh", 15),
        ("names.en", 21),
    ]


def test_format_rejection() -> None:
    rejection = Rejection("x.y", "religion_or_belief", "falun gong", "reason", "names.en", 3)
    assert format_rejection(rejection) == "REJECTED x.y: religion_or_belief: falun gong (reason)"


def test_malformed_file_raises_config_error_for_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "taxonomy: {}\n")
    with pytest.raises(ConfigError) as info:
        check_taxonomy_file(path)
    assert info.value.messages == [
        f"{path}:1: taxonomy: expected a list of alarm types (got an empty mapping)"
    ]


def test_missing_file_raises_config_error_for_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        check_taxonomy_file(path)
    assert info.value.messages == [f"{path}:1: cannot read taxonomy file: No such file or directory"]


def test_site_file_cannot_redefine_a_builtin_type(tmp_path: Path) -> None:
    text = MIXED.replace("weather.river_level_high", "weather.heat")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        check_taxonomy_file(path)
    assert info.value.messages == [
        f"{path}:2: type 1 ('weather.heat'): id: 'weather.heat' is a built-in type (site additions need ids of their own)"
    ]


def test_load_additions_refuses_the_file_if_any_type_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(PolicyViolation) as info:
        load_additions(write(tmp_path, MIXED))
    assert [p.field for p in info.value.problems] == [
        "protest.march.hazard_class", "crowd_safety.class_c.names.zh", "other_safety.watch.names.en",
    ]  # fmt: skip
