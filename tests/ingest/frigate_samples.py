"""Frigate 0.14-0.16 MQTT messages as Frigate publishes them (field for field), for one person crossing a
restricted zone and one car with a recognised plate. They carry identity data on purpose: it must never be stored."""

from __future__ import annotations

import copy
from typing import Any

T0 = 1_782_999_900.0  # 100 s before the tests' fake "now"
FACE_NAME = "John Smith"
PLATE = "ABC12345"


def _person(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": f"{T0:.6f}-k3x9qa",
        "camera": "gate_cam",
        "frame_time": T0 + 0.4,
        "snapshot": {
            "frame_time": T0 + 0.4,
            "box": [415, 489, 528, 700],
            "area": 12728,
            "region": [260, 446, 660, 846],
            "score": 0.77546,
            "attributes": [],
        },
        "label": "person",
        "sub_label": None,
        "top_score": 0.82421875,
        "false_positive": False,
        "start_time": T0,
        "end_time": None,
        "score": 0.80078125,
        "box": [424, 500, 536, 712],
        "area": 23744,
        "ratio": 0.528302,
        "region": [264, 450, 667, 853],
        "active": True,
        "stationary": False,
        "motionless_count": 0,
        "position_changes": 1,
        "current_zones": [],
        "entered_zones": [],
        "has_clip": False,
        "has_snapshot": True,
        "attributes": {},
        "current_attributes": [],
        "pending_loitering": False,
        "max_severity": "detection",
        "current_estimated_speed": 0,
        "average_estimated_speed": 0,
        "velocity_angle": 0,
        "path_data": [[[0.5, 0.7], T0 + 0.2]],
        "recognized_license_plate": None,
        "recognized_license_plate_score": None,
    }
    obj.update(changes)
    return obj


RECOGNISED = {
    "sub_label": [FACE_NAME, 0.91],
    "attributes": {"face": 0.88},
    "current_attributes": [{"label": "face", "box": [450, 505, 490, 550], "score": 0.88}],
    "snapshot": {
        "frame_time": T0 + 3.0,
        "box": [430, 495, 540, 710],
        "area": 23320,
        "region": [260, 446, 660, 846],
        "score": 0.86,
        "attributes": [{"label": "face", "box": [450, 505, 490, 550], "score": 0.88}],
    },
}


def person_messages() -> list[dict[str, Any]]:
    """new (no zone yet), enters backstage (face recognised), better snapshot only, leaves, ends."""
    new_before = _person(false_positive=True)
    new_after = _person()
    entered = _person(
        frame_time=T0 + 3.0, current_zones=["backstage"], entered_zones=["backstage"], **RECOGNISED
    )
    better = _person(
        frame_time=T0 + 5.0,
        top_score=0.9296875,
        current_zones=["backstage"],
        entered_zones=["backstage"],
        **RECOGNISED,
    )
    left = _person(
        frame_time=T0 + 9.0,
        top_score=0.9296875,
        current_zones=[],
        entered_zones=["backstage"],
        stationary=False,
        **RECOGNISED,
    )
    ended = _person(
        frame_time=T0 + 12.0,
        end_time=T0 + 12.5,
        top_score=0.9296875,
        current_zones=[],
        entered_zones=["backstage"],
        active=False,
        **RECOGNISED,
    )
    return [
        {"type": "new", "before": new_before, "after": new_after},
        {"type": "update", "before": new_after, "after": entered},
        {"type": "update", "before": entered, "after": better},
        {"type": "update", "before": better, "after": left},
        {"type": "end", "before": left, "after": ended},
    ]


def car_messages() -> list[dict[str, Any]]:
    """A car seen in the loading bay whose plate Frigate read; new and end."""
    car = _person(
        id=f"{T0 + 20:.6f}-c4r001",
        label="car",
        camera="yard_cam",
        start_time=T0 + 20,
        frame_time=T0 + 21,
        top_score=0.71,
        current_zones=["loading_bay"],
        entered_zones=["loading_bay"],
        attributes={"license_plate": 0.93},
        recognized_license_plate=PLATE,
        recognized_license_plate_score=0.95,
        sub_label=["Delivery van (ABC12345)", 0.95],
    )
    ended = copy.deepcopy(car)
    ended.update(frame_time=T0 + 40, end_time=T0 + 40.2, active=False)
    return [{"type": "new", "before": car, "after": car}, {"type": "end", "before": car, "after": ended}]


def review_messages() -> list[dict[str, Any]]:
    """A review item that starts as a detection, is raised to an alert, and ends."""
    item: dict[str, Any] = {
        "id": f"{T0:.6f}-rv0001",
        "camera": "gate_cam",
        "start_time": T0,
        "end_time": None,
        "severity": "detection",
        "thumb_path": f"/media/frigate/clips/review/thumb-gate_cam-{T0:.6f}-rv0001.webp",
        "data": {
            "detections": [f"{T0:.6f}-k3x9qa"],
            "objects": ["person"],
            "sub_labels": [],
            "zones": [],
            "audio": [],
        },
    }
    alert = copy.deepcopy(item)
    alert["severity"] = "alert"
    alert["data"].update(zones=["backstage"], sub_labels=[FACE_NAME])
    ended = copy.deepcopy(alert)
    ended["end_time"] = T0 + 13.0
    return [
        {"type": "new", "before": item, "after": item},
        {"type": "update", "before": item, "after": alert},
        {"type": "update", "before": alert, "after": alert},
        {"type": "end", "before": alert, "after": ended},
    ]
