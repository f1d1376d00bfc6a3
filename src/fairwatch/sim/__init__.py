"""The scenario simulator: the bundled Riverside Festival demo (site, plan, scenario) and a runner that
posts scenario events to a Fairwatch server as they fall due. Scenarios are pure; only the runner does I/O.
"""

from fairwatch.sim.bundle import (
    demo_cards_path,
    demo_checklists_path,
    demo_file,
    demo_rules_path,
    demo_site,
    demo_site_path,
)
from fairwatch.sim.field_units import run_units, seed_units
from fairwatch.sim.incident_log import seed_incidents
from fairwatch.sim.runner import RunStats, SendRefused, run
from fairwatch.sim.scenarios import SCENARIOS, events_jsonl, scenario
from fairwatch.sim.streams import SimEvent, rfc3339

__all__ = [
    "SCENARIOS",
    "RunStats",
    "SendRefused",
    "SimEvent",
    "demo_cards_path",
    "demo_checklists_path",
    "demo_file",
    "demo_rules_path",
    "demo_site",
    "demo_site_path",
    "events_jsonl",
    "rfc3339",
    "run",
    "run_units",
    "scenario",
    "seed_incidents",
    "seed_units",
]
