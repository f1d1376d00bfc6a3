"""Load for the ingest benchmark and the profiles: wrk scripts that send the same event shape to Fairwatch and to
Alertmanager, one event per request or in batches, and an alarm storm (every event matches an open alarm).

wrk (C, LuaJIT) drives every round for both servers, so the client costs the same on both sides. Each request
body is built in Lua with unique ids (thread number + counter), so Fairwatch stores every event (no duplicates).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A Fairwatch event as bench/ingest.py has always sent it, plus a small declared `data` object (issue 16).
# `%s` is the id, `%d` the counter: Lua fills them in.
FAIRWATCH_EVENT = (
    '{"id":"%s","source":"counter-%d","type":"crowd.density","zone":"z%d","value":%d.5,'
    '"data":{"count":%d,"area":120}}'
)
# The storm: a panic button per source, 8 sources; the first press opens an alarm, every later one adds an
# occurrence to it (a row, a count and an alarm update in the store).
# (panic.pressed declares neither a value nor data; Lua's string.format ignores the extra arguments.)
STORM_EVENT = '{"id":"%s","source":"panic-%d","type":"panic.pressed","zone":"z%d"}'
# The storm for Alertmanager: the same 8 alerts again and again (no id label), so each one updates a known alert.
ALERTMANAGER_STORM = '{"labels":{"alertname":"panic","source":"panic-%d","zone":"z%d"}}'
# The same information as an Alertmanager alert (labels are its only structured fields).
ALERTMANAGER_EVENT = (
    '{"labels":{"alertname":"crowd_density","id":"%s","source":"counter-%d","zone":"z%d","value":"%d.5"},'
    '"annotations":{"count":"%d","area":"120"}}'
)

LUA = """
local n = 0
local tid = 0
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args) tid = tonumber(wrk.thread:get("tid")) or 0 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
AUTH
local shape = 'SHAPE'
local size = SIZE
local function one()
  n = n + 1
  return string.format(shape, FIRST n % MODULO, n % 6, n % 3, n % 500)
end
request = function()
  local body
  if size == 1 and not ARRAY then
    body = one()
  else
    local parts = {}
    for i = 1, size do parts[i] = one() end
    body = "[" .. table.concat(parts, ",") .. "]"
  end
  return wrk.format(nil, "PATH", nil, body)
end
"""


@dataclass(frozen=True)
class Round:
    """One kind of load: `size` events per request; `storm`: every event matches an open alarm."""

    name: str
    size: int
    connections: int
    storm: bool = False


ROUNDS = [
    Round("single events", 1, 64),
    Round("batches of 100", 100, 16),
    Round("batches of 1,000", 1000, 4),
]
STORM = Round("alarm storm (batches of 100)", 100, 16, storm=True)


@dataclass(frozen=True)
class Result:
    """What wrk measured: events/s, requests/s, p99 latency (ms) and the answers that were not 2xx."""

    events_per_s: float
    requests_per_s: float
    p99_ms: float
    errors: str


def script(kind: str, rnd: Round, token: str = "") -> str:
    """The wrk Lua script for `kind` ('fairwatch' or 'alertmanager') and round `rnd`."""
    first = '"w" .. tid .. "-" .. n,'
    if kind == "alertmanager":
        shape, path, auth, array = ALERTMANAGER_EVENT, "/api/v2/alerts", "", "true"  # v2 takes arrays only
        if rnd.storm:
            shape, first = ALERTMANAGER_STORM, ""
    else:
        shape, path, array = (STORM_EVENT if rnd.storm else FAIRWATCH_EVENT), "/api/v1/events", "false"
        auth = f'wrk.headers["Authorization"] = "Bearer {token}"'
    return (
        LUA.replace("AUTH", auth)
        .replace("SHAPE", shape)
        .replace("SIZE", str(rnd.size))
        .replace("ARRAY", array)
        .replace("MODULO", "8" if rnd.storm else "40")
        .replace("PATH", path)
        .replace("FIRST ", first + " ")
    )


def wrk(url: str, lua: str, seconds: float, connections: int = 64, threads: int = 2) -> Result:
    """Run wrk against `url` with `lua` for `seconds`; events/s counts only 2xx answers."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        f.name,
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    Path(f.name).unlink()
    return parse(out, size_of(lua))


def size_of(lua: str) -> int:
    """The batch size a script sends (read back from it)."""
    for line in lua.splitlines():
        if line.startswith("local size = "):
            return int(line.split("=")[1])
    return 1


def parse(out: str, size: int) -> Result:
    """events/s (2xx answers x size), requests/s and p99 from wrk's output."""
    lines = out.splitlines()
    rps = next(float(line.split()[1]) for line in lines if line.startswith("Requests/sec"))
    total = next(int(line.split()[0]) for line in lines if "requests in" in line)
    bad = 0
    notes = []
    for line in lines:
        if "Non-2xx" in line:
            bad = int(line.split()[-1])
            notes.append(line.strip())
        elif "Socket errors" in line:
            notes.append(line.strip())
    p99 = next((_ms(line.split()[1]) for line in lines if line.strip().startswith("99%")), 0.0)
    good_rps = rps * (total - bad) / total if total else 0.0
    return Result(good_rps * size, rps, p99, "; ".join(notes) or "all 2xx")


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)
