"""Rules and replay benchmark: replay speed over 1 M recorded events, and rule evaluation cost per event with
10, 1,000 and 10,000 rules. Prints figures and writes docs/benchmarks-notes.md (bench/ingest.py appends it to
docs/benchmarks.md).

    .venv/bin/python bench/rules.py [--quick]

Not a test: it asserts nothing. Runs in about 2-3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from fairwatch.model import Event
from fairwatch.replay import Replayer, read_jsonl
from fairwatch.rules import Engine, RuleSet, load_rules, parse_rules
from fairwatch.sim import scenario
from fairwatch.site import Site, load_site, parse_site

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "examples" / "rules" / "riverside.yaml"
SITE = ROOT / "examples" / "sites" / "riverside.yaml"  # the crowd rules measure its links
START = 1_780_000_000.0
TYPES = 20  # distinct event types in the generated rule sets
PAIRS = 200  # distinct (type, zone) pairs the rule-cost events use


@dataclass(frozen=True)
class ReplayRun:
    """One replay of a JSON-lines file: how many events, how much simulated time, how long it took."""

    name: str
    events: int
    simulated_s: float
    read_s: float  # reading and validating the file
    replay_s: float  # replaying the validated events
    alarms: int

    @property
    def total_s(self) -> float:
        return self.read_s + self.replay_s

    @property
    def rate(self) -> float:
        """Events/s from file to report, as `fairwatch replay --events` runs."""
        return self.events / self.total_s

    @property
    def core_rate(self) -> float:
        """Events/s of the replay itself."""
        return self.events / self.replay_s


@dataclass(frozen=True)
class RuleCost:
    """Evaluation cost per event for one rule-set size."""

    rules: int
    compile_s: float
    evaluate_us: float  # Engine.evaluate only
    replay_us: float  # with a tick every simulated second, as a replay runs
    matched: float  # rules looked at per event on average
    groups: int  # groups the rules remember at the end


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {platform.python_version()}, {platform.system()}"


# -- replay speed -------------------------------------------------------------------------------------------
def write_scenario(path: Path, name: str, count: int) -> float:
    """The first `count` events of a scenario as JSON lines; returns the simulated seconds they span."""
    last = START
    with path.open("wb") as out:
        for send_at, event in itertools.islice(scenario(name, START), count):
            out.write(orjson.dumps(event) + b"\n")
            last = send_at
    return last - START


def replay_file(name: str, path: Path, simulated: float, ruleset: RuleSet) -> ReplayRun:
    """Read and validate the file into memory (timed), then replay the events (timed separately)."""
    gc.collect()
    began = time.perf_counter()
    events = list(read_jsonl(path))
    read_s = time.perf_counter() - began
    replayer = Replayer(ruleset)
    gc.collect()
    began = time.perf_counter()
    replayer.feed(events)
    replay_s = time.perf_counter() - began
    return ReplayRun(name, len(events), simulated, read_s, replay_s, len(replayer.book.activations))


def span(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


# -- rule cost ------------------------------------------------------------------------------------------------
def rule_text(n: int) -> str:
    """`n` rules over TYPES event types and n / TYPES zones: each (type, zone) pair has one rule, so an event
    matches one rule whatever `n` is. Kinds rotate: threshold, held (`for`) and count."""
    rules = ["rules:"]
    for i in range(n):
        kind, zone = i % 3, f"zone-{i // TYPES}"
        head = f"  - id: r{i}\n    alarm: technical.sensor_{i % 7}\n    severity: low\n"
        cond = f"type: sensor.kind{i % TYPES}, zone: {zone}"
        when = (
            f"{{{cond}, value: {{gt: 55}}}}",
            f"{{{cond}, value: {{gt: 55}}, for: 30s}}",
            f"{{{cond}, count: {{gte: 5, within: 1m}}}}",
        )[kind]
        rules.append(f"{head}    when: {when}\n    group_by: [zone, source]")
    return "\n".join(rules) + "\n"


def rule_events(n_rules: int, count: int, seed: int = 7) -> list[Event]:
    """`count` events, 50 a second from 10 sources, on up to PAIRS (type, zone) pairs that some rule listens
    to: the same number of groups for 1,000 and 10,000 rules, so the comparison is about the rules."""
    rng = random.Random(seed)
    pairs = [(i % TYPES, i // TYPES) for i in rng.sample(range(n_rules), min(PAIRS, n_rules))]
    out = []
    for k in range(count):
        t = START + k / 50
        kind, zone = rng.choice(pairs)
        source = f"dev-{rng.randrange(10)}"
        out.append(
            Event(f"e{k}", source, f"sensor.kind{kind}", t, t, "site", f"zone-{zone}", rng.uniform(0, 60))
        )
    return out


@dataclass
class Workload:
    """A generated rule set and its events; timings are the best of the repetitions."""

    rules: int
    ruleset: RuleSet
    events: list[Event]
    compile_s: float
    evaluate_s: float = float("inf")
    replay_s: float = float("inf")
    groups: int = 0


def workload(n: int, count: int) -> Workload:
    began = time.perf_counter()
    ruleset = parse_rules(rule_text(n), f"{n}-rules.yaml")
    return Workload(n, ruleset, rule_events(n, count), time.perf_counter() - began)


def measure(w: Workload) -> None:
    """One repetition: evaluate every event on a fresh engine, then replay them; keep the best times."""
    engine = Engine(w.ruleset)
    state, evaluate = engine.new_state(), engine.evaluate
    gc.collect()
    began = time.perf_counter()
    for e in w.events:
        evaluate(state, e, e.received)
    w.evaluate_s = min(w.evaluate_s, time.perf_counter() - began)
    w.groups = sum(len(g) for g in state.groups.values())
    replayer = Replayer(w.ruleset)
    gc.collect()
    began = time.perf_counter()
    replayer.feed(w.events)
    w.replay_s = min(w.replay_s, time.perf_counter() - began)


def rule_costs(sizes: tuple[int, ...], count: int, repeats: int) -> list[RuleCost]:
    """Best of `repeats` runs per size, interleaved so that a burst of load elsewhere hits every size alike."""
    loads = [workload(n, count) for n in sizes]
    for _ in range(repeats):
        for w in loads:
            measure(w)
    costs = []
    for w in loads:
        engine = Engine(w.ruleset)
        sample = w.events[:10_000]
        matched = sum(len(engine.rules_for(e)) for e in sample) / len(sample)
        costs.append(
            RuleCost(
                w.rules, w.compile_s, w.evaluate_s / count * 1e6, w.replay_s / count * 1e6, matched, w.groups
            )
        )
    return costs


# -- crowd rule cost ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrowdCost:
    """Evaluation cost per event of the crowd conditions on a site with `links` links (and as many zones)."""

    links: int
    rules: int
    evaluate_us: float
    matched: float


def crowd_site(n: int) -> Site:
    """`n` zones in a row, each with a 4 m gate to the outside counted by a line counter."""
    zones = "".join(
        f"  - {{id: z{i}, name: Z{i}, polygon: [[{i}, 0], [{i + 1}, 0], [{i + 1}, 1], [{i}, 1]], "
        f"area_m2: 500, capacity: 1000}}\n"
        for i in range(n)
    )
    links = "".join(
        f"  - {{id: l{i}, from: z{i}, to: outside, width_m: 4.0, kind: gate}}\n" for i in range(n)
    )
    devices = "".join(f"  - {{id: c{i}, kind: line_counter, link: l{i}}}\n" for i in range(n))
    head = f"site: {{id: site, name: S, timezone: UTC, plan: {{width: {n + 1}, height: 2}}}}\n"
    return parse_site(f"{head}zones:\n{zones}links:\n{links}devices:\n{devices}", "crowd-site.yaml")


def crowd_rules(n: int) -> str:
    """Per link: flow (held), counterflow and los; per zone: time to capacity."""
    out = ["rules:"]
    for i in range(n):
        head = "alarm: crowd_safety.surge, severity: high"
        out += [
            f"  - {{id: flow-{i}, {head}, when: {{flow: {{link: l{i}, direction: forward, gt: 82, for: 60s}}}}}}",
            f"  - {{id: counterflow-{i}, {head}, when: {{counterflow: {{link: l{i}, gt: 0.25, min_flow: 20, for: 60s}}}}}}",
            f"  - {{id: service-{i}, {head}, when: {{los: {{link: l{i}, worse_than: D}}}}}}",
            f"  - {{id: capacity-{i}, {head}, when: {{time_to_capacity: {{zone: z{i}, within: 10m}}}}}}",
        ]
    return "\n".join(out) + "\n"


def crowd_events(n: int, count: int, seed: int = 11) -> list[Event]:
    """What real counters send: every line counter its totals every 10 s, every zone counter a count every
    30 s, staggered; the first `count` such events (at most 500 links used)."""
    rng = random.Random(seed)
    used = min(n, 500)
    totals = [[0, 0] for _ in range(used)]
    out: list[Event] = []
    for step in itertools.count():
        for i in range(used):
            t = START + step * 10 + i * 10 / used
            totals[i][0] += rng.randrange(0, 60)
            totals[i][1] += rng.randrange(0, 15)
            data = {"forward": totals[i][0], "backward": totals[i][1]}
            out.append(Event(f"e{len(out)}", f"c{i}", "counter.line", t, t, "site", None, None, None, data))
            if step % 3 == i % 3:
                people = float(min(1000, 300 + step * 2 + rng.randrange(20)))
                out.append(Event(f"e{len(out)}", f"zc{i}", "crowd.count", t, t, "site", f"z{i}", people))
            if len(out) >= count:
                return out
    return out


def crowd_costs(sizes: tuple[int, ...], count: int, repeats: int) -> list[CrowdCost]:
    """Best of `repeats` runs of `Engine.evaluate` per size."""
    costs = []
    for n in sizes:
        site = crowd_site(n)
        ruleset = parse_rules(crowd_rules(n), f"crowd-{n}.yaml", site=site)
        events = crowd_events(n, count)
        best = float("inf")
        for _ in range(repeats):
            engine = Engine(ruleset, site)
            state, evaluate = engine.new_state(), engine.evaluate
            gc.collect()
            began = time.perf_counter()
            for e in events:
                evaluate(state, e, e.received)
            best = min(best, time.perf_counter() - began)
        engine = Engine(ruleset, site)
        sample = events[:5_000]
        matched = sum(len(engine.rules_for(e)) for e in sample) / len(sample)
        costs.append(CrowdCost(n, len(ruleset), best / count * 1e6, matched))
    return costs


# -- report ---------------------------------------------------------------------------------------------------
def report(
    runs: list[ReplayRun],
    costs: list[RuleCost],
    total: int,
    load: float,
    crowd: list[CrowdCost],
    crowd_n: int,
) -> str:
    lines = [
        "## Rules and replay",
        "",
        f"Machine: {machine()}; load average {load:.1f} when the run started (other work on the machine slows "
        "every figure; rule-cost figures are the best of 3 interleaved runs).",
        f"Command: `.venv/bin/python bench/rules.py`, run on {time.strftime('%Y-%m-%d')}.",
        "",
        "Replay (`fairwatch replay --events`, the pure `fairwatch.replay.Replayer`): the demo rules "
        "(`examples/rules/riverside.yaml`, 10 rules) over scenario events written as JSON lines; ticks every "
        "simulated second. *Total* includes reading and validating every line with the "
        "HTTP event contract; *replay only* is the replay of the validated events.",
        "",
        "| events | scenario | simulated time | total | replay only | faster than real time | alarms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.events:,} | {r.name} | {span(r.simulated_s)} | {r.rate:,.0f} events/s ({r.total_s:.1f} s) "
            f"| {r.core_rate:,.0f} events/s ({r.replay_s:.1f} s) | {r.simulated_s / r.total_s:,.0f}x | {r.alarms:,} |"
        )
    lines += [
        "",
        f"Rule evaluation cost per event ({total:,} events, 50/s from 10 sources): rules on {TYPES} event types and "
        f"rules/{TYPES} zones, one rule per (type, zone), kinds threshold, `for` and `count`, grouped by zone and "
        f"source; the events use up to {PAIRS} of those (type, zone) pairs, so every event matches one rule. The "
        "engine indexes rules by event type and then by the zone (or source, site) a rule pins, so the cost should "
        "not grow with the number of rules.",
        "",
        "| rules | compile | rules looked at per event | groups remembered | `Engine.evaluate` | replay (evaluate + ticks) |",
        "|---|---|---|---|---|---|",
    ]
    for c in costs:
        lines.append(
            f"| {c.rules:,} | {c.compile_s:.2f} s | {c.matched:.2f} | {c.groups:,} | {c.evaluate_us:.1f} µs "
            f"| {c.replay_us:.1f} µs |"
        )
    lines += [
        "",
        "A tick visits every group the rules remember (held `for` timers, count windows, firing alarms), once per "
        "simulated second, so the replay column depends on the number of groups and the event rate, not on the "
        "number of rules.",
        "",
        f"Crowd conditions (docs/crowd.md), `Engine.evaluate` per event ({crowd_n:,} events): a site of n zones "
        "each with a gate and a line counter; per link a held `flow`, a `counterflow` and a `los` rule, per zone a "
        "`time_to_capacity` rule (4n rules). Every line counter sends its totals every 10 s (each derives an "
        "`@flow` reading), every zone a `crowd.count` every 30 s (occupancy and an `@capacity` projection over "
        "its last 5 minutes); at most 500 links send.",
        "",
        "| links | rules | rules looked at per event | `Engine.evaluate` |",
        "|---|---|---|---|",
    ]
    for c in crowd:
        lines.append(f"| {c.links:,} | {c.rules:,} | {c.matched:.2f} | {c.evaluate_us:.1f} µs |")
    lines.append("")
    return "\n".join(lines)


def main(quick: bool) -> None:
    replay_counts = (
        [("riverside", 100_000), ("burst", 50_000)]
        if quick
        else [("riverside", 1_000_000), ("burst", 200_000)]
    )
    cost_events = 20_000 if quick else 100_000
    load = os.getloadavg()[0]
    ruleset = load_rules(RULES, site=load_site(SITE))
    tmp = Path(tempfile.mkdtemp(prefix="fw-bench-rules-"))
    runs: list[ReplayRun] = []
    try:
        for name, count in replay_counts:
            path = tmp / f"{name}.jsonl"
            began = time.perf_counter()
            simulated = write_scenario(path, name, count)
            print(
                f"wrote {count:,} {name} events ({span(simulated)} simulated) in {time.perf_counter() - began:.1f} s"
            )
            run = replay_file(name, path, simulated, ruleset)
            runs.append(run)
            print(
                f"replay {name}: {run.rate:,.0f} events/s total ({run.total_s:.1f} s), "
                f"{run.core_rate:,.0f} events/s replay only, {run.simulated_s / run.total_s:,.0f}x real time, "
                f"{run.alarms:,} alarms"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    costs = rule_costs((10, 1_000, 10_000), cost_events, repeats=2 if quick else 3)
    for cost in costs:
        print(
            f"{cost.rules:,} rules: compile {cost.compile_s:.2f} s, {cost.matched:.2f} rules/event, "
            f"{cost.groups:,} groups, evaluate {cost.evaluate_us:.1f} µs/event, replay {cost.replay_us:.1f} µs/event"
        )
    crowd = crowd_costs((10, 1_000), cost_events // 2, repeats=2 if quick else 3)
    for c in crowd:
        print(
            f"crowd, {c.links:,} links ({c.rules:,} rules): {c.matched:.2f} rules/event, "
            f"evaluate {c.evaluate_us:.1f} µs/event"
        )
    if quick:
        return
    text = report(runs, costs, cost_events, load, crowd, cost_events // 2)
    (ROOT / "docs" / "benchmarks-notes.md").write_text(text)
    print("wrote docs/benchmarks-notes.md")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller runs, no report")
    main(parser.parse_args().quick)
