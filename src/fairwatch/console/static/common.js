// Shared by every console page: config, the JSON API with CSRF, the live stream, time, sound, keys and dialogs.
// Plain ES module, no dependencies, no build step.

export const config = JSON.parse(document.getElementById("fw-config").textContent || "{}");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"];

// -- language: the page's JSON catalogue (static/i18n/<lang>.json, embedded by the server); English is the key --
const catalogue = JSON.parse(document.getElementById("fw-i18n")?.textContent || "{}");
export const lang = document.documentElement.lang || "en";
// t("Alarm {id} acknowledged", { id }) -> the text in the page's language with its {names} filled in.
export function t(text, values = {}) {
  const found = catalogue[text] || text;
  return found.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
// A time and its zone keep their order inside a right-to-left page (Unicode isolates: invisible, not copied oddly).
export const isolated = (text) => (document.documentElement.dir === "rtl" ? `\u2066${text}\u2069` : text);
// A severity or alarm state as a word in the page's language ("critical", "acknowledged").
export const word = (value) => t(String(value || ""));
// Words the scripts show from data values, marked with N_ so that `make i18n` puts them in the JSON catalogues.
const N_ = (text) => text;
export const WORDS = [
  N_("critical"), N_("high"), N_("medium"), N_("low"), N_("info"),
  N_("open"), N_("acknowledged"), N_("shelved"), N_("resolved"),
  N_("handled"), N_("false alarm"), N_("duplicate"), N_("test"), N_("active"), N_("expired"),
];
export const sevRank = (s) => { const i = SEVERITIES.indexOf(s); return i < 0 ? 99 : i; };

// -- time: the server's clock, not the workstation's --------------------------------------------------------
let offset = (config.server_now || Date.now() / 1000) * 1000 - Date.now();
export const now = () => Date.now() + offset;
export function syncClock(serverSeconds) { offset = serverSeconds * 1000 - Date.now(); }

export function fmtAge(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

const tz = config.timezone || undefined;
const clockFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const dateFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, day: "2-digit", month: "short" });
const zoneFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, timeZoneName: "short" });
// The site zone's abbreviation at `d` ("BST", "CEST", "UTC"): every time the console shows carries it.
export const zoneAbbr = (d) => zoneFmt.formatToParts(d).find((p) => p.type === "timeZoneName")?.value || "";
export function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const sameDay = dateFmt.format(d) === dateFmt.format(new Date(now()));
  const time = `${clockFmt.format(d)} ${zoneAbbr(d)}`;
  return isolated(sameDay ? time : `${dateFmt.format(d)} ${time}`);
}

// An alarm type's name: the taxonomy's name in the page's language, or the English words of its id.
export function humanType(type) {
  const local = config.local_type_names?.[type];
  if (local) return local;
  const parts = String(type || "").split(".").map((p) => p.replaceAll("_", " "));
  if (!parts.length || !parts[0]) return t("alarm");
  parts[0] = parts[0][0].toUpperCase() + parts[0].slice(1);
  return parts.join(" · ");
}

export const zoneNames = new Map((config.site?.zones || []).map((z) => [z.id, z.name]));
export const zoneName = (id) => (id ? zoneNames.get(id) || id : "—");

// -- DOM helpers: text only, never HTML from data -------------------------------------------------------------
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function announce(text, urgent = false) {
  const box = document.getElementById(urgent ? "announce-urgent" : "announce");
  if (!box) return;
  box.textContent = "";
  setTimeout(() => { box.textContent = text; }, 30);
}

// -- the JSON API ---------------------------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
  get detail() {
    const problems = (this.body.problems || []).map((p) => `${p.field}: ${p.message}`);
    return problems.length ? `${this.message}: ${problems.join("; ")}` : this.message;
  }
}

export function toSignIn() {
  location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { message: t("The server cannot be reached; check the connection and try again.") });
  }
  if (response.status === 401) { toSignIn(); throw new ApiError(401, { message: t("Signed out") }); }
  const isJson = (response.headers.get("content-type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data || { message: response.statusText });
  return data;
}

export const act = (id, action, body) => api(`/api/v1/alarms/${id}/${action}`, { method: "POST", body });
export const can = (alarm, action) => config.actions.includes(action) && (alarm.allowed_actions || []).includes(action);

// Flood children included (each has `parent_id`): the queue groups them under their parent itself.
export async function activeAlarms() {
  const all = [];
  const base = "/api/v1/alarms?state=open,acknowledged&children=include&limit=500";
  let url = base;
  for (let page = 0; page < 20 && url; page++) {
    const data = await api(url);
    all.push(...data.alarms);
    url = data.next ? `${base}&cursor=${encodeURIComponent(data.next)}` : null;
  }
  return all;
}

// -- the live stream ------------------------------------------------------------------------------------------
// "Live" only while the stream's heartbeat (or an alarm) arrives: after two missed heartbeats the pill says
// "Reconnecting" and the stream is reopened; the server's `shutdown` and `access-ended` events say why it closed.
const BEAT_MS = (config.heartbeat || 15) * 1000;
// Page-independent followers of the one stream (sound.js): each gets every alarm change and every reset.
const liveHooks = [];
export function onLive(hook) { liveHooks.push(hook); }
export function live({ onChange: pageChange, onReset: pageReset, on = {} }) {
  const onChange = (change) => { pageChange(change); for (const h of liveHooks) h.change(change); };
  const onReset = () => { pageReset(); for (const h of liveHooks) h.reset(); };
  const pill = document.getElementById("live");
  const banner = document.getElementById("conn-banner");
  let source = null;
  let lost = false;
  let hideTimer = null;
  let lastBeat = Date.now();
  let retryTimer = null;
  const setPill = (state, text) => { if (pill) { pill.className = `live ${state}`; pill.textContent = text; } };
  const show = (kind, text) => {
    if (!banner) return;
    clearTimeout(hideTimer);
    banner.className = `banner ${kind}`;
    banner.textContent = text;
    banner.hidden = false;
    if (kind === "ok") hideTimer = setTimeout(() => { banner.hidden = true; }, 5000);
  };
  const beat = () => {
    lastBeat = Date.now();
    if (lost) {
      lost = false;
      show("ok", t("Live connection restored. The queue is up to date."));
      onReset();
    }
    setPill("up", t("Live"));
  };
  const down = (pillText, bannerText) => {
    lost = true;
    setPill("down", pillText);
    show("down", bannerText);
  };
  const reopen = (delay) => {
    if (source) source.close();
    source = null;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(open, delay);
  };
  function open() {
    lastBeat = Date.now(); // give the new stream a full two heartbeats to prove itself
    source = new EventSource("/api/v1/stream");
    source.onopen = beat;
    source.addEventListener("heartbeat", beat);
    source.addEventListener("alarm", (e) => { beat(); onChange(JSON.parse(e.data)); });
    for (const [name, fn] of Object.entries(on)) source.addEventListener(name, (e) => { beat(); fn(JSON.parse(e.data)); });
    source.addEventListener("reset", () => onReset());
    source.addEventListener("shutdown", () => {
      down(t("Server stopped"), t("The server is stopping — reconnecting. What you see may be out of date."));
      reopen(3000);
    });
    source.addEventListener("access-ended", () => {
      down(t("Signed out"), t("Your access has ended."));
      source.close();
      checkSession().finally(() => reopen(2000)); // a 401 goes to sign-in; otherwise try again
    });
    source.onerror = () => {
      if (!lost) down(t("Reconnecting"), t("Live connection lost — reconnecting. What you see may be out of date."));
      if (source && source.readyState === EventSource.CLOSED) {
        source.close();
        checkSession().finally(() => reopen(2000)); // the browser gave up (e.g. 401 or 503): retry ourselves
      }
    };
  }
  setInterval(() => {
    if (!source || Date.now() - lastBeat <= 2 * BEAT_MS + 500) return;
    if (!lost) down(t("Reconnecting"), t("No heartbeat from the server — reconnecting. What you see may be out of date."));
    reopen(0); // a stream that went silent may be a dead connection the browser has not noticed; open() resets
  }, 250); //    lastBeat, so a stream that stays silent is retried every two heartbeats
  open();
  return { close: () => source && source.close() };
}

// -- session: watch for expiry; user activity keeps it alive --------------------------------------------------
export async function checkSession(touch = false) {
  try {
    const r = await fetch(`/console/session${touch ? "?touch=1" : ""}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { toSignIn(); return; }
    if (r.ok) syncClock((await r.json()).server_now);
  } catch { /* offline: the live banner already says so */ }
}

let lastTouch = Date.now();
function activity() {
  if (Date.now() - lastTouch > 60_000) { lastTouch = Date.now(); checkSession(true); }
}

// -- sound cue for new critical alarms ------------------------------------------------------------------------
let audio = null;
const isMuted = () => localStorage.getItem("fw-muted") === "1";
function unlockAudio() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch { audio = null; }
}
export function beep() {
  if (globalThis.fwSound) return; // sound.js sounds alarms (per severity, until acknowledged) on this page
  if (isMuted()) return;
  unlockAudio();
  if (!audio) return;
  const t = audio.currentTime;
  for (const [start, freq] of [[0, 880], [0.22, 660], [0.44, 880]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + start);
    gain.gain.exponentialRampToValueAtTime(0.18, t + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(t + start);
    osc.stop(t + start + 0.2);
  }
}
function renderMute() {
  const btn = document.getElementById("mute");
  if (!btn) return;
  const muted = isMuted();
  btn.setAttribute("aria-pressed", String(muted));
  btn.textContent = muted ? t("Sound off") : t("Sound on");
}
export function toggleMute() {
  localStorage.setItem("fw-muted", isMuted() ? "0" : "1");
  renderMute();
  announce(isMuted() ? t("Sound cue muted") : t("Sound cue on"));
}

// -- dialogs ----------------------------------------------------------------------------------------------------
export function askResolve(what) {
  const dialog = document.getElementById("resolve-dialog");
  const form = document.getElementById("resolve-form");
  document.getElementById("resolve-what").textContent = what;
  document.getElementById("resolve-note").value = "";
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("close", onClose);
      resolve(value);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      const value = { disposition: form.disposition.value };
      const note = form.note.value.trim();
      if (note) value.note = note;
      dialog.close();
      done(value);
    };
    const onClose = () => done(null);
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("close", onClose);
    document.getElementById("resolve-cancel").onclick = () => dialog.close();
    dialog.showModal();
    document.getElementById("resolve-disposition").focus();
  });
}

// -- keyboard -----------------------------------------------------------------------------------------------
const handlers = {};
export function onKeys(map) { Object.assign(handlers, map); }
function typing(target) {
  return Boolean(target.closest?.("input, textarea, select, [contenteditable=true]"));
}
function onKeydown(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (document.querySelector("dialog[open]")) return; // dialogs own the keyboard (Esc closes them)
  if (typing(e.target) && e.key !== "Escape") return;
  const fn = handlers[e.key];
  if (fn) { e.preventDefault(); fn(e); }
}

function setup() {
  renderMute();
  document.getElementById("mute")?.addEventListener("click", toggleMute);
  const help = document.getElementById("help");
  document.getElementById("help-open")?.addEventListener("click", () => help.showModal());
  document.getElementById("help-close")?.addEventListener("click", () => help.close());
  onKeys({ "?": () => help?.showModal(), m: toggleMute });
  document.addEventListener("keydown", onKeydown);
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => { unlockAudio(); activity(); }, { passive: true });
  }
  setInterval(() => checkSession(false), 30_000);
  document.getElementById("print")?.addEventListener("click", () => window.print());
}
if (config.user) setup();

// -- times typed in the site's time zone (history, silences) -------------------------------------------------
// A datetime-local input holds a wall time without a zone; the console reads it in the site's zone, as it shows times.
function zoneOffsetMs(utcMs, zone) {
  const fmt = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const p = Object.fromEntries(fmt.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(utcMs / 1000) * 1000;
}
export function siteTimeToIso(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value || "");
  if (!m) return null;
  const zone = config.timezone || "UTC";
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const first = wall - zoneOffsetMs(wall, zone);
  return new Date(wall - zoneOffsetMs(first, zone)).toISOString(); // again at the guess: right across a DST change
}
export function isoToSiteTime(iso) {
  const ms = typeof iso === "number" ? iso : Date.parse(iso);
  return new Date(ms + zoneOffsetMs(ms, config.timezone || "UTC")).toISOString().slice(0, 16);
}
