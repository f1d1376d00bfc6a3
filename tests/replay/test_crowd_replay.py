"""`fairwatch replay` of a scripted egress through one gate: exactly the expected crowd alarms.

The gate counter's totals restart from zero once and fall silent for a minute; neither raises anything.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from fairwatch.cli import cli

runner = CliRunner(env={"FAIRWATCH_RULES": None})
T0 = datetime(2026, 7, 4, 22, 0, tzinfo=UTC).timestamp()

SITE = """\
site: {id: riverside, name: Riverside, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: arena, name: Arena, polygon: [[0, 0], [50, 0], [50, 50], [0, 50]], capacity: 5000}
  - {id: stage, name: Stage, polygon: [[50, 0], [100, 0], [100, 50], [50, 50]], capacity: 1000}
links:
  - {id: gate-n, from: arena, to: outside, width_m: 5.0, kind: gate}
devices:
  - {id: cnt-gate-n, kind: line_counter, link: gate-n}
  - {id: cnt-stage, kind: crowd_counter, zone: stage}
"""
RULES = """\
rules:
  - {id: egress-surge, alarm: crowd_safety.surge, severity: critical,
     when: {flow: {link: gate-n, direction: forward, gt: 82, for: 60s}}}
  - {id: gate-counterflow, alarm: crowd_safety.counterflow, severity: high,
     when: {counterflow: {link: gate-n, gt: 0.25, min_flow: 20, for: 60s}}}
  - {id: stage-filling, alarm: crowd_safety.overcapacity, severity: high,
     when: {time_to_capacity: {zone: stage, within: 10m}}}
"""
# Per phase: (start s, end s, forward p/min, backward p/min) through the 5 m gate.
PHASES = [
    (0, 300, 100, 0),  # 20 p/m/min: LoS A
    (300, 600, 500, 0),  # the headliner ends: 100 p/m/min, above the Green Guide's 82
    (600, 900, 150, 80),  # people come back in against the stream: share 0.35, total 46 p/m/min
    (900, 1500, 100, 0),
]
RESTART = 1000  # the counter reboots: totals start again from zero
GAP = (1100, 1160)  # no readings


def per_min(t: float) -> tuple[float, float]:
    return next((f, b) for s, e, f, b in PHASES if s <= t < e)


def gate_events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    forward = backward = 0.0
    for t in range(0, 1500, 10):
        if t:
            f, b = per_min(t - 10)
            forward, backward = forward + f / 6, backward + b / 6
        if t == RESTART:
            forward = backward = 0.0
        if GAP[0] <= t < GAP[1]:
            continue
        data = {"forward": round(forward), "backward": round(backward)}
        out.append(
            {"id": f"g{t}", "source": "cnt-gate-n", "type": "counter.line", "time": T0 + t, "data": data}
        )
    return out


def stage_events() -> list[dict[str, Any]]:
    # 700 people, 20 more a minute until 15 min, then level: full (1000) would be at 15 min
    return [
        {
            "id": f"s{m}",
            "source": "cnt-stage",
            "type": "crowd.count",
            "zone": "stage",
            "time": T0 + 60 * m,
            "value": 700 + 20 * min(m, 12),
        }
        for m in range(0, 25)
    ]


def iso(t: float) -> str:
    return datetime.fromtimestamp(T0 + t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_scripted_egress_raises_exactly_the_expected_alarms(tmp_path: Path) -> None:
    events = sorted(gate_events() + stage_events(), key=lambda e: e["time"])
    for e in events:
        e["time"] = datetime.fromtimestamp(e["time"], UTC).isoformat().replace("+00:00", "Z")
    (tmp_path / "site.yaml").write_text(SITE)
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    args = ["replay", "--events", str(tmp_path / "events.jsonl"), "--rules", str(tmp_path / "rules.yaml")]
    result = runner.invoke(cli, [*args, "--site", str(tmp_path / "site.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    alarms = [(a["rule"], a["raised_at"], a["cleared_at"]) for a in json.loads(result.stdout)["alarms"]]
    assert alarms == [
        # 800 people at 5 min, 20 more a minute: full in 10 min; cleared once the level holds
        ("stage-filling", iso(300), iso(960)),
        # more than 82 p/m/min from the reading at 350 (the minute then holds > 410 people), held 60 s;
        # the first reading at or below it (620) clears
        ("egress-surge", iso(410), iso(620)),
        # the minority share passes 0.25 at the reading at 660, held 60 s; drops to 0.25 at 930
        ("gate-counterflow", iso(720), iso(930)),
    ]
