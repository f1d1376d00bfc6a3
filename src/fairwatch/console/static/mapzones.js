// The zone table beside the map: people against capacity, density and its level of service, sparklines of
// occupancy and net flow over the last 15 minutes, and the projected time to capacity.

import { el, t, zoneName } from "./common.js";
import { fullIn } from "./map.js";

const NS = "http://www.w3.org/2000/svg";
const W = 90;
const H = 22;

// An inline SVG sparkline of [time, value] points; `zero` draws the zero line (for flows in and out).
export function sparkline(points, { label, zero = false, unit = "" } = {}) {
  const box = document.createElementNS(NS, "svg");
  box.setAttribute("viewBox", `0 0 ${W} ${H}`);
  box.setAttribute("class", "spark");
  box.setAttribute("role", "img");
  if (points.length < 1) {
    box.setAttribute("aria-label", t("{label}: no readings yet", { label }));
    box.setAttribute("data-points", "0");
    return box;
  }
  const values = points.map((p) => p[1]);
  let lo = Math.min(...values, ...(zero ? [0] : []));
  let hi = Math.max(...values, ...(zero ? [0] : []));
  if (hi === lo) { hi += 1; lo -= 1; }
  const t0 = points[0][0];
  const span = Math.max(points[points.length - 1][0] - t0, 1);
  const x = (t) => (points.length === 1 ? W - 2 : 2 + ((t - t0) / span) * (W - 4));
  const y = (v) => H - 2 - ((v - lo) / (hi - lo)) * (H - 4);
  if (zero) {
    const base = document.createElementNS(NS, "line");
    for (const [k, v] of Object.entries({ x1: 0, x2: W, y1: y(0), y2: y(0), class: "zero" })) base.setAttribute(k, String(v));
    box.append(base);
  }
  if (points.length === 1) { // one reading: a dot at the right end
    const dot = document.createElementNS(NS, "circle");
    for (const [k, v] of Object.entries({ cx: x(t0), cy: y(values[0]), r: 2, class: "dot" })) dot.setAttribute(k, String(v));
    box.append(dot);
  }
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" "));
  box.append(line);
  const last = values[values.length - 1];
  box.setAttribute("aria-label", t("{label}, last 15 minutes: {low} to {high}, now {now}", {
    label, low: fmt(Math.min(...values)), high: `${fmt(Math.max(...values))}${unit}`, now: `${fmt(last)}${unit}`,
  }));
  box.setAttribute("data-points", String(points.length));
  return box;
}

const fmt = (v) => Math.round(v).toLocaleString("en-GB");

function losBadge(los, title) {
  return los ? el("span", { class: `los-badge los-${los}`, title, text: los }) : el("span", { class: "muted", text: "—" });
}

export function zoneRows(zones) {
  return zones.map((z) => {
    const full = fullIn(z.full_in_s);
    const estimate = z.source === "density" ? "≈ " : "";
    const people = z.occupancy === null ? "—" : `${estimate}${fmt(z.occupancy)} / ${fmt(z.capacity)}`;
    const pct = z.of_capacity === null ? "" : ` (${Math.round(z.of_capacity * 100)}%)`;
    return el("tr", { "data-zone": z.id, class: full ? "filling" : null },
      el("td", {},
        el("span", { class: "zone-name", text: zoneName(z.id) }),
        full ? el("span", { class: "full-in-text", text: full }) : null),
      el("td", { class: "num", text: people + pct, title: z.source === "density" ? t("estimated: density × area") : null }),
      el("td", { class: "num", text: z.density === null ? "—" : `${z.density.toFixed(2)}` }),
      el("td", {}, losBadge(z.los, t("standing level of service (persons per m²)"))),
      el("td", { class: "spark-cell" }, sparkline(z.history.occupancy, { label: t("Occupancy of {zone}", { zone: zoneName(z.id) }), unit: ` ${t("people")}` })),
      el("td", { class: "spark-cell" }, sparkline(z.history.flow, { label: t("Net flow into {zone}", { zone: zoneName(z.id) }), zero: true, unit: ` ${t("per minute")}` })));
  });
}
