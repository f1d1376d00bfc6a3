"""Live crowd measures for the console: per zone occupancy, density, level of service and time to capacity,
per link specific flow each way, each with a short history; fed with committed events, read by `api/zones.py`.

It computes with the rule engine's own pure pieces (`rules.occupancy`, `rules.crowd`, `crowd`), in memory,
for every zone and link of the site (the engine keeps them only for zones and links its rules read).
"""

from fairwatch.measures.board import HISTORY_S, STEP_S, Board, LinkMeasure, Snapshot, ZoneMeasure

__all__ = ["HISTORY_S", "STEP_S", "Board", "LinkMeasure", "Snapshot", "ZoneMeasure"]
