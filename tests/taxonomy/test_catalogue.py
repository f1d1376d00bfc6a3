"""The built-in catalogue: big enough, every type valid and passing the rights guard."""

from __future__ import annotations

import pytest

from fairwatch.model import Severity
from fairwatch.policy import HAZARD_CLASSES
from fairwatch.taxonomy import CAP_CATEGORIES, AlarmType, Taxonomy, screen

BUILTIN = Taxonomy.builtin().all()
DEMO_IDS = [
    "crowd_safety.crush_risk", "crowd_safety.high_density", "fire.suspected", "medical.cluster",
    "technical.device_offline", "violence.panic_alarm", "weather.high_wind", "weather.heat",
    "crowd_safety.blocked_egress", "fire.high_temperature",
]  # fmt: skip
REQUIRED_IDS = [
    *DEMO_IDS,
    "fire.confirmed", "fire.smoke", "fire.alarm_panel", "medical.emergency", "medical.cardiac",
    "medical.heat_illness", "crowd_safety.surge", "crowd_safety.overcapacity", "weather.lightning",
    "weather.flooding", "violence.fight", "violence.assault", "intrusion.restricted_area",
    "intrusion.perimeter_breach", "intrusion.vehicle_in_pedestrian_zone", "missing_person.lost_child",
    "missing_person.found_child", "hazardous_material.gas_leak", "hazardous_material.chemical_spill",
    "technical.tamper", "technical.power_loss", "technical.camera_blocked", "technical.network_down",
]  # fmt: skip


def test_at_least_forty_types() -> None:
    assert len(BUILTIN) >= 40


@pytest.mark.parametrize("type_id", REQUIRED_IDS)
def test_required_type_exists_and_is_active(type_id: str) -> None:
    assert Taxonomy.builtin().is_active(type_id)


def test_every_hazard_class_has_a_type() -> None:
    assert {t.hazard_class for t in BUILTIN} == HAZARD_CLASSES


@pytest.mark.parametrize("alarm_type", BUILTIN, ids=[t.id for t in BUILTIN])
def test_builtin_type_is_valid(alarm_type: AlarmType) -> None:
    checks = (
        screen(alarm_type),
        alarm_type.hazard_class in HAZARD_CLASSES,
        alarm_type.id.split(".")[0] == alarm_type.hazard_class,
        alarm_type.cap_category in CAP_CATEGORIES,
        isinstance(alarm_type.severity, Severity),
        len(alarm_type.names) >= 2 and "en" in alarm_type.names,
        bool(alarm_type.description.strip()),
        (alarm_type.status, alarm_type.origin),
    )
    assert checks == (None, True, True, True, True, True, True, ("active", "builtin"))


def test_as_dict_is_the_public_form() -> None:
    found = Taxonomy.builtin().get("fire.suspected")
    assert found is not None and found.as_dict() == {
        "id": "fire.suspected",
        "names": {"en": "Fire suspected", "de": "Brandverdacht", "fr": "Suspicion d'incendie",
                  "es": "Sospecha de incendio", "zh": "疑似火情", "ar": "اشتباه حريق"},
        "description": "Signs of fire (heat, flame or a report) not yet confirmed by staff.",
        "severity": "high",
        "hazard_class": "fire",
        "cap_category": "Fire",
        "status": "active",
        "origin": "builtin",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "name"), [("de", "Brandverdacht"), ("pt", "Fire suspected")], ids=["de", "fallback"]
)
def test_name_in_a_language_falls_back_to_english(lang: str, name: str) -> None:
    found = Taxonomy.builtin().get("fire.suspected")
    assert found is not None and found.name(lang) == name
