// The report form's venue plan: the site's zones drawn as the console map draws them (plan metres, y up), and a tap
// picks the zone under the finger (point in polygon; the smallest zone holding the point, as a unit's position is
// placed). The plan and the pick list beside it stay in step: either one selects, both show it.
const NS = "http://www.w3.org/2000/svg";
// The page's language: the JSON catalogue the field page embeds (as field.js reads it).
const catalogue = JSON.parse(document.getElementById("fw-i18n")?.textContent || "{}");
const t = (text, values = {}) => (catalogue[text] || text).replace(/\{(\w+)\}/g, (w, k) => (k in values ? String(values[k]) : w));

function el(tag, attrs = {}) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// Ray casting: is (x, y) inside the polygon [[x, y], ...]? A point on an edge counts for one side only.
export function inside(x, y, polygon) {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

function area(polygon) {
  let sum = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) sum += polygon[j][0] * polygon[i][1] - polygon[i][0] * polygon[j][1];
  return Math.abs(sum) / 2;
}

// The zone under plan point (x, y): the smallest that holds it, or null.
export function zoneAt(zones, x, y) {
  const holding = zones.filter((z) => inside(x, y, z.polygon));
  holding.sort((a, b) => area(a.polygon) - area(b.polygon));
  return holding.length ? holding[0] : null;
}

function mount(plan, select, container, status) {
  const H = plan.height;
  const root = el("svg", { viewBox: `0 0 ${plan.width} ${H}`, preserveAspectRatio: "xMidYMid meet", role: "group", "aria-label": t("Venue plan: tap a zone") });
  root.append(el("rect", { class: "ground", x: 0, y: 0, width: plan.width, height: H }));
  const shapes = new Map();
  const size = Math.max(plan.width, plan.height) / 34;
  for (const z of plan.zones) {
    const poly = el("polygon", { points: z.polygon.map(([x, y]) => `${x},${H - y}`).join(" "), class: "zone", "data-zone": z.id });
    const title = el("title");
    title.textContent = z.name;
    poly.append(title);
    root.append(poly);
    shapes.set(z.id, poly);
  }
  for (const z of plan.zones) {
    const [x, y] = z.label_at;
    const label = el("text", { x, y: H - y, class: "zone-label", "font-size": size, "aria-hidden": "true" });
    label.textContent = z.name;
    root.append(label);
  }
  const names = new Map(plan.zones.map((z) => [z.id, z.name]));
  const show = () => {
    for (const [id, poly] of shapes) poly.classList.toggle("picked", id === select.value);
    status.textContent = select.value ? t("Selected: {zone}", { zone: names.get(select.value) || select.value }) : t("Tap the plan to pick a zone");
  };
  root.addEventListener("click", (e) => {
    const matrix = root.getScreenCTM();
    if (!matrix) return;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(matrix.inverse());
    const zone = zoneAt(plan.zones, p.x, H - p.y);
    if (!zone) return; // outside every zone: the choice stays as it was
    select.value = zone.id;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
  select.addEventListener("change", show);
  select.form?.addEventListener("reset", () => setTimeout(show));
  container.replaceChildren(root);
  container.hidden = false;
  show();
}

const config = JSON.parse(document.getElementById("fw-config")?.textContent || "{}");
const select = document.getElementById("report-zone");
const container = document.getElementById("zone-plan");
const status = document.getElementById("zone-picked");
if (config.plan && config.plan.zones.length && select && container && status) mount(config.plan, select, container, status);
