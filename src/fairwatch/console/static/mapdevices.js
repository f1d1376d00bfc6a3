// The device layer: one icon per device kind, and a state per device — offline (an open alarm that says the
// device is unreachable names it), alarming (another open alarm names it) or ok.

import { t } from "./common.js";

const NS = "http://www.w3.org/2000/svg";

// Site device kinds -> the icon (and word) the map shows.
export const ICONS = {
  crowd_counter: "counter",
  smoke_detector: "smoke",
  temperature_sensor: "heat",
  panic_button: "panic",
  camera: "camera",
  gate: "gate",
  heartbeat: "heartbeat",
  line_counter: "line_counter",
  weather_station: "weather",
  queue_counter: "queue",
};
// Alarm types that mean the device cannot be heard from.
export const OFFLINE_TYPES = new Set(["technical.device_offline", "technical.network_down", "technical.power_loss"]);

// Icon drawings on a 24 x 24 box centred on 0, 0: strokes in currentColor.
const DRAWINGS = {
  counter: ["M-5 8v-5a5 5 0 0 1 10 0v5", "M0 -3.5a3 3 0 1 0 0.01 0", "M-9 8h18"],
  smoke: ["M-7 6c-3 0-3-5 0-5 0-4 6-5 7-1 3-2 7 0 6 3 3 0 3 3 0 3z", "M-4 -5q2-3 0-5", "M2 -5q2-3 0-5"],
  heat: ["M-1.8 3v-10a1.8 1.8 0 0 1 3.6 0v10", "M0 3.5a3.5 3.5 0 1 0 0.01 0", "M4 -6h3M4 -2h3"],
  panic: ["M0 -9l9 16h-18z", "M0 -3v5", "M0 4.5v0.5"],
  camera: ["M-9 -4h12v9h-12z", "M3 -1l6-3v9l-6-3"],
  gate: ["M-8 9v-17M8 9v-17", "M-8 -5h16M-8 1h16"],
  heartbeat: ["M-10 0h5l2-6 4 12 2-6h7"],
  line_counter: ["M-9 -3h16l-4-4", "M9 3h-16l4 4"],
  weather: ["M-7 9v-18", "M-7 -9h12l-3 4 3 4h-12"],
  queue: ["M-8 2a2 2 0 1 0 0.01 0M0 2a2 2 0 1 0 0.01 0M8 2a2 2 0 1 0 0.01 0", "M-10 8h20"],
};

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// <defs> with one <symbol> per icon, to be placed once in the map's <svg>.
export function iconDefs() {
  const defs = svg("defs");
  for (const [name, paths] of Object.entries(DRAWINGS)) {
    const symbol = svg("symbol", { id: `fw-icon-${name}`, viewBox: "-12 -12 24 24" });
    for (const d of paths) symbol.append(svg("path", { d }));
    defs.append(symbol);
  }
  return defs;
}

// The icons' words and the device states, shown in tooltips; marked with N_ for `make i18n`.
const N_ = (text) => text;
export const DEVICE_WORDS = [N_("counter"), N_("smoke"), N_("heat"), N_("panic"), N_("camera"), N_("gate"), N_("heartbeat"),
  N_("line counter"), N_("weather"), N_("queue"), N_("ok"), N_("alarming"), N_("offline")];
const word = (kind) => t((ICONS[kind] || kind).replaceAll("_", " "));

// Per device id: "offline", "alarming" or "ok", from the active alarms naming it: among their sources, or as
// the source they are grouped by (an absence alarm has no source event, only its group).
export function deviceStates(devices, alarms) {
  const states = new Map(devices.map((d) => [d.id, "ok"]));
  for (const a of alarms) {
    for (const source of new Set([...(a.sources || []), a.group?.source].filter(Boolean))) {
      if (!states.has(source)) continue;
      if (OFFLINE_TYPES.has(a.type)) states.set(source, "offline");
      else if (states.get(source) !== "offline") states.set(source, "alarming");
    }
  }
  return states;
}

// One <g> per placed device, centred on its location (SVG coordinates from `toSvg`); radius `r`.
export function deviceNode(device, [x, y], r) {
  const icon = ICONS[device.kind] || "counter";
  const g = svg("g", {
    class: `device kind-${icon} state-ok`,
    transform: `translate(${x} ${y})`,
    "data-device": device.id,
    "data-kind": icon,
    "data-state": "ok",
  });
  g.append(svg("title", {}, `${word(device.kind)} ${device.id}: ${t("ok")}`));
  g.append(svg("circle", { class: "device-bg", r }));
  g.append(svg("use", { href: `#fw-icon-${icon}`, x: -r * 0.72, y: -r * 0.72, width: r * 1.44, height: r * 1.44 }));
  return g;
}

export function setDeviceState(node, device, state, lastSeen, fmtAgo) {
  node.setAttribute("data-state", state);
  node.setAttribute("class", `device kind-${node.dataset.kind} state-${state}`);
  const heard = lastSeen === null || lastSeen === undefined ? t("not heard from yet") : t("last heard {age} ago", { age: fmtAgo(lastSeen) });
  node.querySelector("title").textContent = `${word(device.kind)} ${device.id}: ${t(state)} · ${heard}`;
}

// A stand-alone <svg> of a device's icon (for the geo view's markers, which live outside the plan's <svg>).
export function iconSvg(kind) {
  const box = svg("svg", { viewBox: "-12 -12 24 24", class: "device-icon", "aria-hidden": "true" });
  for (const d of DRAWINGS[ICONS[kind] || "counter"] || DRAWINGS.counter) box.append(svg("path", { d }));
  return box;
}

export const deviceWord = word;
