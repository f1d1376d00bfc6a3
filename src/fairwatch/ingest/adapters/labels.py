"""The closed list of camera labels Fairwatch accepts (RIGHTS.md RS-12), and why each item an adapter drops was
dropped.

A camera can be taught to see anything: a headscarf, a flag, a placard, a raised fist. Fairwatch accepts only
labels for **physical safety objects**, each mapped to the event type segment it becomes
(`camera.object.<segment>`). Everything else a camera reports (clothing, body parts, faces, symbols, flags,
placards, banners, gestures, speech, religious objects, logos, and any label nobody thought of) is dropped and
counted by reason, never stored and never logged by name. The list is closed on purpose: adding a label is a code
change with a review, not a configuration setting.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class DropReason(StrEnum):
    """Why an adapter dropped one item (a label, a zone, an event) while keeping the rest of a message."""

    LABEL = "label-not-allowed"  # a camera label outside SAFETY_LABELS / SAFETY_SOUNDS (RS-12)
    ZONE = "unknown-zone"  # a zone the site does not define: never invented
    REFUSED = "refused"  # the rights guard refused the event built from the item (RS-2, RS-4)
    INVALID = "invalid"  # the event built from the item is invalid (RS-14: judged alone)


# Frigate label (lowercase) -> event type segment. Why each is here:
#   person                     presence and counting: intrusion into restricted areas, density, egress
#   car, truck, bus,           vehicle kinds: hostile vehicle mitigation, blocked fire lanes, traffic incidents
#   motorcycle, bicycle, van
#   fire, smoke                 visual fire and smoke detection
#   backpack, suitcase,         left luggage: with `stationary` it is an unattended item
#   handbag, bag, package
#   knife, gun, pistol,        weapons
#   rifle, weapon
SAFETY_LABELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "person": "person",
        "car": "car",
        "truck": "truck",
        "bus": "bus",
        "van": "van",
        "motorcycle": "motorcycle",
        "bicycle": "bicycle",
        "fire": "fire",
        "smoke": "smoke",
        "backpack": "bag",
        "suitcase": "bag",
        "handbag": "bag",
        "bag": "bag",
        "package": "bag",
        "knife": "knife",
        "gun": "weapon",
        "pistol": "weapon",
        "rifle": "weapon",
        "weapon": "weapon",
    }
)

# Frigate audio labels (YAMNet classes, lowercase) kept on review items: alarms and sounds of danger only.
# Speech, shouting, singing, chanting, music and every other sound people make by choice are dropped.
SAFETY_SOUNDS: frozenset[str] = frozenset(
    {
        "fire_alarm",
        "smoke_detector",
        "siren",
        "explosion",
        "gunshot",
        "glass",
        "scream",
    }
)


def safety_label(label: str) -> str | None:
    """The event type segment for a camera label, or None when it is not a safety object."""
    return SAFETY_LABELS.get(label.strip().lower())
