"""check_event: the person-data ban (RS-4), with the exact messages documented in docs/rights.md."""

from __future__ import annotations

from typing import Any

import pytest

from fairwatch.errors import Problem
from fairwatch.policy import check_event
from fairwatch.policy.person import BANNED_KEYS, BANNED_TYPES, key_ground, type_ground


def type_problem(event_type: str, ground: str, index: int | None = None) -> Problem:
    message = f"refused: person-data ban (RS-4): {ground}: event type '{event_type}' identifies or profiles a person"
    return Problem(field="type", value=event_type, message=message, index=index)


def key_problem(path: str, key: str, ground: str, index: int | None = None) -> Problem:
    message = f"refused: person-data ban (RS-4): {ground}: key '{key}' carries a person attribute"
    return Problem(field=path, value=key, message=message, index=index)


def test_face_match_message_exactly() -> None:
    assert check_event("face_match", {}, 3) == [
        Problem(
            field="type",
            value="face_match",
            message="refused: person-data ban (RS-4): biometric_identification: "
            "event type 'face_match' identifies or profiles a person",
            index=3,
        )
    ]


def test_data_key_message_exactly() -> None:
    assert check_event("crowd.density", {"religion": "x"}) == [
        Problem(
            field="data.religion",
            value="religion",
            message="refused: person-data ban (RS-4): religion_or_belief: key 'religion' carries a person attribute",
            index=None,
        )
    ]


REFUSED_TYPES = [
    # event type, ground
    ("face_match", "biometric_identification"),
    ("watchlist_hit", "biometric_identification"),
    ("person_of_interest", "biometric_identification"),
    ("gait_id", "biometric_identification"),
    ("emotion", "biometric_identification"),
    ("demographic", "biometric_identification"),
    ("person_risk_score", "person_profiling"),
    ("camera.face_match", "biometric_identification"),  # a dotted segment
    ("vendor.Watchlist-Hit.v2", "biometric_identification"),  # case and punctuation
    ("FaceMatch", "biometric_identification"),  # camelCase
    ("frigate.face.recognised", "biometric_identification"),  # a run of segments
    ("analytics.ethnicity_detection", "ethnicity"),
]


@pytest.mark.parametrize(("event_type", "ground"), REFUSED_TYPES, ids=[t for t, _ in REFUSED_TYPES])
def test_refused_event_types(event_type: str, ground: str) -> None:
    assert check_event(event_type, {}, 0) == [type_problem(event_type, ground, 0)]


ALLOWED_TYPES = [
    "crowd.density", "crowd.count", "fire.smoke", "heartbeat", "panic_button.pressed", "weather.wind",
    "surface.match", "gate.count", "camera.offline", "medical.report", "face_covering.detected",
]  # fmt: skip


@pytest.mark.parametrize("event_type", ALLOWED_TYPES)
def test_allowed_event_types(event_type: str) -> None:
    assert check_event(event_type, {"count": 3, "zone": "b"}) == []


REFUSED_KEYS: list[tuple[str, dict[str, Any], str, str, str]] = [
    # id, data, field, key, ground
    ("religion", {"religion": "x"}, "data.religion", "religion", "religion_or_belief"),
    ("political-status", {"political_status": "x"}, "data.political_status", "political_status", "political_opinion"),
    ("ethnicity", {"ethnicity": "x"}, "data.ethnicity", "ethnicity", "ethnicity"),
    ("race-whole-key", {"race": "x"}, "data.race", "race", "ethnicity"),
    ("union-membership", {"unionMembership": True}, "data.unionMembership", "unionMembership", "association"),
    ("sexual-orientation", {"sexual-orientation": "x"}, "data.sexual-orientation", "sexual-orientation",
     "sexual_orientation_or_gender_identity"),
    ("health-status", {"health_status": "x"}, "data.health_status", "health_status", "health_status"),
    ("diagnosis", {"diagnosis": "x"}, "data.diagnosis", "diagnosis", "health_status"),
    ("face-embedding", {"face_embedding": [0.1]}, "data.face_embedding", "face_embedding", "biometric_identification"),
    ("face-template-camel", {"faceTemplate": "x"}, "data.faceTemplate", "faceTemplate", "biometric_identification"),
    ("prefixed", {"subject_religion": "x"}, "data.subject_religion", "subject_religion", "religion_or_belief"),
    ("nested", {"person": {"ethnicity": "x"}}, "data.person.ethnicity", "ethnicity", "ethnicity"),
    ("in-list", {"people": [{"gait": "x"}]}, "data.people[0].gait", "gait", "biometric_identification"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "path", "key", "ground"), [c[1:] for c in REFUSED_KEYS], ids=[c[0] for c in REFUSED_KEYS]
)
def test_refused_data_keys(data: dict[str, Any], path: str, key: str, ground: str) -> None:
    assert check_event("crowd.density", data, 7) == [key_problem(path, key, ground, 7)]


ALLOWED_KEYS = [
    # keys a safety sensor or adapter really sends; some look close to banned ones
    "count", "density", "zone", "temperature", "confidence", "fingerprint",  # Alertmanager's alert fingerprint
    "race_id", "device_health_status", "health", "iris_mode", "age_of_data", "gender_of_lost_child_report",
]  # fmt: skip


@pytest.mark.parametrize("key", ALLOWED_KEYS)
def test_allowed_data_keys(key: str) -> None:
    assert check_event("crowd.density", {key: 1}) == []


def test_type_and_every_key_are_all_reported() -> None:
    data = {"religion": "x", "zone": "a", "face_template": "y"}
    assert check_event("face_match", data, 1) == [
        type_problem("face_match", "biometric_identification", 1),
        key_problem("data.religion", "religion", "religion_or_belief", 1),
        key_problem("data.face_template", "face_template", "biometric_identification", 1),
    ]


def test_verdicts_are_cached_and_stable() -> None:
    assert [type_ground("face_match"), type_ground("face_match"), key_ground("zone"), key_ground("zone")] == [
        "biometric_identification", "biometric_identification", None, None,
    ]  # fmt: skip


def test_ban_lists_are_normalised_frozensets() -> None:
    assert isinstance(BANNED_TYPES, frozenset) and isinstance(BANNED_KEYS, frozenset)
    assert all(name.isalnum() and name == name.lower() for name in BANNED_TYPES | BANNED_KEYS)


# Issue 17: keys are normalised before the ban (NFKC, look-alikes, full width, case, separators,
# synonyms and transliterations), and embeddings are banned whatever they are called.
NORMALISED_KEYS = [
    # key, ground
    ("face_vec", "biometric_identification"),
    ("reid_vector", "biometric_identification"),
    ("reidVector", "biometric_identification"),
    ("face_embedding", "biometric_identification"),
    ("gait_signature", "biometric_identification"),
    ("body_feature", "biometric_identification"),
    ("appearance-embedding", "biometric_identification"),
    ("person.descriptor", "biometric_identification"),
    ("FACE VEC", "biometric_identification"),
    ("ｆａｃｅ＿ｅｍｂ", "biometric_identification"),  # full width and an abbreviation
    ("r\u0435ligion", "religion_or_belief"),  # Cyrillic e
    ("\u0420olitical_\u0455tatus", "political_opinion"),  # Cyrillic P and s
    ("reli\u200bgion", "religion_or_belief"),  # zero-width space
    ("religiya", "religion_or_belief"),  # transliteration
    ("zongjiao", "religion_or_belief"),  # pinyin
    ("subjectEthnie", "ethnicity"),  # French, camelCase
    ("minzu", "ethnicity"),
    ("zhengzhi_mianmao", "political_opinion"),
    ("visitor.natsionalnost", "ethnicity"),
    ("predicted_age", "biometric_identification"),
    ("inferredGender", "biometric_identification"),
]


@pytest.mark.parametrize(("key", "ground"), NORMALISED_KEYS, ids=[k for k, _ in NORMALISED_KEYS])
def test_keys_are_normalised_before_the_ban(key: str, ground: str) -> None:
    assert key_ground(key) == ground


def test_embedding_event_types_are_refused() -> None:
    assert type_ground("camera.reid_vector") == "biometric_identification"
    assert type_ground("vendor.FaceVec.v2") == "biometric_identification"


# RIGHTS.md: the age band of a missing person is welfare description (missing_person), not categorisation;
# an age a model infers or predicts is.
WELFARE_KEYS = [
    "estimated_age", "age_estimate", "age_band", "lost_child_estimated_age", "body_signature", "body_hash",
    "payload_signature", "person_count", "face_covering", "appearance_time", "wind_speed_kmh",
]  # fmt: skip


@pytest.mark.parametrize("key", WELFARE_KEYS)
def test_welfare_and_device_keys_pass(key: str) -> None:
    assert check_event("missing_person.report", {key: 1}) == []
