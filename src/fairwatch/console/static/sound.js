// Attention on every console page: a sound per severity that repeats until the alarm is acknowledged (or the
// operator mutes it for a few minutes), the "click to enable sound" prompt while the browser holds audio back, and
// desktop notifications while the tab is hidden (after the operator opts in). Which alarms sound is the site's
// `sound` setting (docs/sites.md#sound): critical and high by default, and a staff panic alarm always.
// WebAudio oscillators only: no audio files. `window.fwSound` counts what was played, for tests and diagnosis.

import { ApiError, activeAlarms, announce, config, humanType, onKeys, onLive, sevRank, t, word, zoneName } from "./common.js";

const policy = config.sound || { severities: ["critical", "high"], types: ["violence.panic_alarm"], mute_minutes: 5 };

// Distinct per severity in waveform, pitch, rhythm and how often it comes back.
export const PATTERNS = {
  critical: { every: 5_000, wave: "square", notes: [[0, 988], [0.18, 784], [0.36, 988], [0.54, 784]] },
  high: { every: 10_000, wave: "sawtooth", notes: [[0, 698], [0.3, 698]] },
  medium: { every: 20_000, wave: "triangle", notes: [[0, 587]] },
  low: { every: 30_000, wave: "sine", notes: [[0, 494]] },
  info: { every: 60_000, wave: "sine", notes: [[0, 392], [0.25, 330]] },
};
const NOTE_S = 0.15;

export const sounds = (a) => a.state === "open"
  && (policy.severities.includes(a.severity) || policy.types.includes(a.type));

const alarms = new Map(); // id -> active alarm, as the stream tells it
let lastPlay = -Infinity; // Date.now() of the last pattern
let audio = null;
try { audio = new AudioContext(); } catch { audio = null; } // suspended until a click on a fresh page

const counter = { plays: 0, oscillators: 0, bySeverity: {}, last: null };
globalThis.fwSound = {
  get state() { return audio ? audio.state : "unavailable"; },
  get sounding() { return loudest()?.id ?? null; },
  counter,
  patterns: PATTERNS,
};

// -- muting: for the site's mute_minutes, remembered across pages of this browser ------------------------
const MUTE_KEY = "fw-sound-muted-until";
const mutedUntil = () => Number(localStorage.getItem(MUTE_KEY) || 0);
const muted = () => Date.now() < mutedUntil();
function setMuted(on) {
  if (on) localStorage.setItem(MUTE_KEY, String(Date.now() + policy.mute_minutes * 60_000));
  else localStorage.removeItem(MUTE_KEY);
  lastPlay = -Infinity;
  renderControls();
  announce(on ? t("Alarm sound muted for {n} minutes", { n: policy.mute_minutes }) : t("Alarm sound on"));
}
export const toggleMute = () => setMuted(!muted());

// -- what sounds -----------------------------------------------------------------------------------------
function loudest() {
  let best = null;
  for (const a of alarms.values()) {
    if (sounds(a) && (!best || sevRank(a.severity) < sevRank(best.severity))) best = a;
  }
  return best;
}

function play(severity) {
  const p = PATTERNS[severity] || PATTERNS.info;
  const t = audio.currentTime;
  for (const [start, freq] of p.notes) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = p.wave;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + start);
    gain.gain.exponentialRampToValueAtTime(0.2, t + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + start + NOTE_S);
    osc.connect(gain).connect(audio.destination);
    osc.start(t + start);
    osc.stop(t + start + NOTE_S + 0.02);
    counter.oscillators += 1;
  }
  counter.plays += 1;
  counter.bySeverity[severity] = (counter.bySeverity[severity] || 0) + 1;
  counter.last = { severity, wave: p.wave, notes: p.notes.map(([, f]) => f) };
}

function tick() {
  renderControls();
  const a = loudest();
  if (!a || muted() || !audio || audio.state !== "running") return;
  const every = (PATTERNS[a.severity] || PATTERNS.info).every;
  if (Date.now() - lastPlay < every) return;
  lastPlay = Date.now();
  play(a.severity);
}

// -- the alarms: fetched once, then followed on the page's stream -----------------------------------------
export function track(a) {
  if (a.state === "resolved") alarms.delete(a.id);
  else alarms.set(a.id, { ...alarms.get(a.id), ...a });
}

async function reload() {
  try {
    const list = await activeAlarms();
    alarms.clear();
    for (const a of list) alarms.set(a.id, a);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  tick();
}

function onChange(change) {
  const a = change.alarm;
  track(a);
  if (["raised", "reopened", "escalated"].includes(change.change) && sounds(a)) {
    lastPlay = -Infinity; // a new alarm sounds at once, not at the next repeat
    notify(a);
  }
  tick();
}

// -- desktop notifications while the tab is hidden --------------------------------------------------------
const NOTIFY_KEY = "fw-notify";
const canNotify = () => "Notification" in globalThis;
const notifyOn = () => canNotify() && localStorage.getItem(NOTIFY_KEY) === "1" && Notification.permission === "granted";
function notify(a) {
  if (!notifyOn() || document.visibilityState !== "hidden") return;
  const sev = word(a.severity);
  const title = t("{Severity} alarm: {what}", { Severity: sev[0].toUpperCase() + sev.slice(1), what: humanType(a.type) });
  try {
    const n = new Notification(title, { body: `${zoneName(a.zone)} · #${a.id}`, tag: `fairwatch-alarm-${a.id}`, requireInteraction: a.severity === "critical" });
    n.onclick = () => { globalThis.focus(); location.assign(`/alarms/${a.id}`); };
  } catch { /* a browser that only notifies from a service worker: the sound still plays */ }
}
async function toggleNotify() {
  if (!canNotify()) return;
  if (localStorage.getItem(NOTIFY_KEY) === "1") {
    localStorage.removeItem(NOTIFY_KEY);
  } else if ((await Notification.requestPermission()) === "granted") {
    localStorage.setItem(NOTIFY_KEY, "1");
  } else {
    announce(t("The browser refused desktop notifications; allow them in its site settings."));
  }
  renderControls();
}

// -- controls in the top bar ----------------------------------------------------------------------------------
const clock = new Intl.DateTimeFormat("en-GB", { timeZone: config.timezone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
function renderControls() {
  const prompt = document.getElementById("sound-prompt");
  if (prompt) {
    prompt.hidden = !audio || audio.state === "running";
    const waiting = !prompt.hidden && Boolean(loudest());
    prompt.classList.toggle("urgent", waiting);
    const why = document.getElementById("sound-why");
    if (why) why.textContent = waiting ? t("An unacknowledged alarm cannot sound until you click on this page.")
      : t("The browser holds alarm sounds back until you click on this page.");
  }
  const mute = document.getElementById("sound-mute");
  if (mute) {
    const on = muted();
    mute.setAttribute("aria-pressed", String(on));
    mute.textContent = on ? t("Muted until {time}", { time: clock.format(new Date(mutedUntil())) }) : t("Mute {n} min", { n: policy.mute_minutes });
  }
  const alerts = document.getElementById("notify-toggle");
  if (alerts) {
    alerts.hidden = !canNotify();
    alerts.setAttribute("aria-pressed", String(notifyOn()));
    alerts.textContent = notifyOn() ? t("Desktop alerts on") : t("Desktop alerts off");
  }
}

function unlock() {
  if (audio && audio.state === "suspended") audio.resume().then(tick, () => {});
}

function setup() {
  if (audio) audio.addEventListener("statechange", tick);
  document.getElementById("sound-enable")?.addEventListener("click", unlock);
  document.getElementById("sound-mute")?.addEventListener("click", toggleMute);
  document.getElementById("notify-toggle")?.addEventListener("click", toggleNotify);
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { passive: true });
  onKeys({ m: toggleMute });
  onLive({ change: onChange, reset: reload });
  setInterval(tick, 500);
  renderControls();
  reload();
}
if (config.user) setup();

export const attention = { track, tick };
