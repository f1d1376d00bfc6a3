// Field units on the venue map: an icon per kind (a letter in a square), its colour per status. Units whose phone
// shared a position (plan {x, y}, or {lat, lon} on a georeferenced site) are drawn; read again every few seconds.
import { api, config, t } from "/static/console/common.js";

const NS = "http://www.w3.org/2000/svg";
const LETTER = { steward: "S", security: "X", medic: "M", fire: "F", police_liaison: "P" };
const plan = config.site?.plan;
const says = (value) => t(String(value).replaceAll("_", " "));

function node(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text) n.textContent = text;
  return n;
}

// WGS84 -> plan metres: the inverse of the site's projection (site/model.py plan_to_geo, field/position.py).
function toPlan(loc) {
  if (loc.x !== undefined) return [loc.x, loc.y];
  const g = config.site?.georef;
  if (!g || loc.lat === undefined) return null;
  const A = 6378137.0, E2 = 6.69437999014e-3, phi = (g.lat * Math.PI) / 180;
  const w = 1 - E2 * Math.sin(phi) ** 2;
  const meridian = (A * (1 - E2)) / w ** 1.5, normal = A / Math.sqrt(w);
  return [((loc.lon - g.lon) * Math.PI / 180) * normal * Math.cos(phi), ((loc.lat - g.lat) * Math.PI / 180) * meridian];
}

function layer() {
  const root = document.querySelector("#map svg");
  if (!root) return null;
  let g = root.querySelector("g.units");
  if (!g) { g = node("g", { class: "units" }); root.append(g); }
  return g;
}

async function draw() {
  const g = layer();
  if (!g || !plan) return;
  const { units } = await api("/api/v1/units");
  const size = 14 * Math.max(plan.width, plan.height) / 800;
  const placed = units.filter((u) => u.location && u.status !== "off_duty").map((u) => [u, toPlan(u.location)]).filter(([, p]) => p);
  g.replaceChildren(...placed.map(([u, [px, py]]) => {
    const x = px;
    const y = plan.height - py;
    const icon = node("g", { class: `unit-icon st-${u.status}`, "data-unit": String(u.id), role: "img", "aria-label": `${u.name}, ${says(u.kind)}, ${says(u.status)}` });
    icon.append(node("title", {}, `${u.name} (${says(u.kind)}): ${says(u.status)}`));
    icon.append(node("rect", { x: x - size / 2, y: y - size / 2, width: size, height: size, rx: size / 5 }));
    icon.append(node("text", { x, y: y + size * 0.32, "font-size": size * 0.8 }, LETTER[u.kind] || "?"));
    return icon;
  }));
}

draw().catch(() => {});
setInterval(() => draw().catch(() => {}), 5000);
