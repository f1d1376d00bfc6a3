// The full venue map with the active alarms beside it; both follow the live stream.

import { activeAlarms, announce, beep, config, el, fmtAge, humanType, live, now, sevRank, zoneName } from "./common.js";
import { VenueMap } from "./map.js";

const alarms = new Map();
const container = document.getElementById("map");
const map = config.site ? new VenueMap(container, config.site, { planUrl: config.plan_url }) : null;
if (!map) container.replaceChildren(el("p", { class: "empty", text: "No site plan is configured (set FAIRWATCH_SITE)." }));
const list = document.getElementById("map-list");
let pending = false;

function sorted() {
  return [...alarms.values()].sort((a, b) =>
    sevRank(a.severity) - sevRank(b.severity) || Date.parse(a.first_seen) - Date.parse(b.first_seen));
}

function render() {
  pending = false;
  const rows = sorted();
  if (map) map.update(rows);
  list.replaceChildren(...rows.map((a) => el("li", { class: `sev-${a.severity}` },
    el("a", { href: `/alarms/${a.id}` },
      el("span", { class: "dotlg", "aria-hidden": "true" }),
      el("span", {}, `${humanType(a.type)}`, el("small", { text: `${zoneName(a.zone)} · ${a.state === "open" ? "unacknowledged" : a.state}` })),
      el("span", { class: "muted num", text: fmtAge(now() - Date.parse(a.first_seen)) })))));
  document.getElementById("map-empty").hidden = rows.length > 0;
}
const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(render); } };

async function reload() {
  const fetched = await activeAlarms();
  alarms.clear();
  for (const a of fetched) alarms.set(a.id, a);
  schedule();
}

live({
  onChange(change) {
    const a = change.alarm;
    if (a.state === "resolved" || a.state === "shelved") alarms.delete(a.id); else alarms.set(a.id, a);
    if (change.change === "raised" || change.change === "escalated") {
      announce(`New ${a.severity} alarm: ${humanType(a.type)} in ${zoneName(a.zone)}`, a.severity === "critical");
      if (a.severity === "critical") beep();
    }
    schedule();
  },
  onReset: reload,
});
reload();
setInterval(schedule, 5000);
