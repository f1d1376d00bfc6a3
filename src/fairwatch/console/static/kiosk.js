// The wall display: active alarms, most severe first and then oldest, with counts, the site's clock and the map,
// kept current by the event stream. It offers no action: a kiosk session is read-only (a viewer).

import { SEVERITIES, activeAlarms, config, el, fmtAge, humanType, live, now, sevRank, t, word, zoneName } from "./common.js";
import { VenueMap } from "./map.js";

const alarms = new Map();
const list = document.getElementById("kiosk-list");
const empty = document.getElementById("kiosk-empty");
const container = document.getElementById("map");
const map = config.site ? new VenueMap(container, config.site, { planUrl: config.plan_url }) : null;
if (!map) container.replaceChildren(el("p", { class: "empty", text: t("No site plan is configured.") }));
const clock = new Intl.DateTimeFormat("en-GB", { timeZone: config.timezone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
let pending = false;

const active = (a) => a.state === "open" || a.state === "acknowledged";
function sorted() {
  return [...alarms.values()].sort((a, b) => sevRank(a.severity) - sevRank(b.severity)
    || (a.state === "open" ? 0 : 1) - (b.state === "open" ? 0 : 1)
    || Date.parse(a.first_seen) - Date.parse(b.first_seen) || a.id - b.id);
}

function render() {
  pending = false;
  const rows = sorted();
  list.replaceChildren(...rows.map((a) => el("li", {
    class: `sev-${a.severity} ${a.state === "open" ? "unacked" : "acked"}`,
    "data-alarm-id": a.id, "data-state": a.state, "data-severity": a.severity,
  },
  el("span", { class: `sev sev-${a.severity}`, text: word(a.severity) }),
  el("span", { class: "kiosk-what", text: humanType(a.type) }),
  el("span", { class: "kiosk-zone", text: zoneName(a.zone) }),
  el("span", { class: "age", "data-since": Date.parse(a.first_seen), text: fmtAge(now() - Date.parse(a.first_seen)) }),
  el("span", { class: `state state-${a.state}`, text: a.state === "open" ? t("Unacknowledged") : t("Acknowledged") }))));
  empty.hidden = rows.length > 0;
  document.getElementById("kiosk-tally").replaceChildren(...SEVERITIES.map((s) => {
    const n = rows.filter((a) => a.severity === s).length;
    return el("span", { class: `chip sev-${s}` }, el("i", { "aria-hidden": "true" }), `${word(s)[0].toUpperCase()}${word(s).slice(1)} `, el("b", { text: String(n) }));
  }));
  if (map) map.update(rows, null);
}
function schedule() {
  if (!pending) { pending = true; requestAnimationFrame(render); }
}

function tick() {
  document.getElementById("kiosk-clock").textContent = clock.format(new Date(now()));
  for (const cell of list.querySelectorAll(".age")) cell.textContent = fmtAge(now() - Number(cell.dataset.since));
}
setInterval(tick, 1000);
tick();

async function reload() {
  try {
    const found = await activeAlarms();
    alarms.clear();
    for (const a of found) alarms.set(a.id, a);
  } catch { /* the connection banner says so; the stream's reset brings the list back */ }
  schedule();
}

live({
  onChange(change) {
    const a = change.alarm;
    const known = alarms.get(a.id);
    if (known && known.version > a.version) return;
    if (active(a)) alarms.set(a.id, a); else alarms.delete(a.id);
    schedule();
  },
  onReset: reload,
});
reload();
