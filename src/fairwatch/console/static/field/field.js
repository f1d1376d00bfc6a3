// The field app: one thumb, large targets, works offline. Reports wait in IndexedDB with an id made on the phone
// and are sent when the connection returns (the server stores each id once, however often it is retried).
// Plain ES module, no dependencies, no build step.

const config = JSON.parse(document.getElementById("fw-config").textContent || "{}");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const $ = (id) => document.getElementById(id);
// The page's language: its JSON catalogue (static/i18n/<lang>.json) comes embedded in the page the service worker keeps.
const catalogue = JSON.parse(document.getElementById("fw-i18n")?.textContent || "{}");
// Words shown from data values (unit statuses, checklist states), marked with N_ for `make i18n`.
const N_ = (text) => text;
const WORDS = [N_("available"), N_("dispatched"), N_("en route"), N_("on scene"), N_("clear"), N_("off duty"),
  N_("pending"), N_("ok"), N_("failed"), N_("resolved")];
const t = (text, values = {}) => (catalogue[text] || text).replace(/\{(\w+)\}/g, (w, k) => (k in values ? String(values[k]) : w));
let unit = config.unit;
// The server's clock, not the phone's: a report's time is the server's time when it was made (a phone with a wrong
// clock would otherwise have its reports refused as too far in the future or the past).
const offset = (config.server_now || Date.now() / 1000) * 1000 - Date.now();
const serverNow = () => new Date(Date.now() + offset);

// -- messages and network state -------------------------------------------------------------------------------
function say(text, kind = "info") {
  const box = $("message");
  box.className = `message ${kind}`;
  box.textContent = text;
}
function setNet(online) {
  const pill = $("net");
  pill.className = `net ${online ? "up" : "down"}`;
  pill.textContent = online ? t("Online") : t("Offline");
}

async function call(path, body, method = "POST") {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const data = (r.headers.get("content-type") || "").includes("json") ? await r.json() : {};
  if (r.status === 401) { location.reload(); }
  if (!r.ok) {
    const problems = (data.problems || []).map((p) => `${p.field}: ${p.message}`).join("; ");
    const err = new Error(problems ? `${data.message}: ${problems}` : data.message || `HTTP ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return data;
}

// -- position, only when the user allows it -------------------------------------------------------------------
function position() {
  if (!$("share-position").checked || !navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 30000 },
    );
  });
}
$("share-position").checked = localStorage.getItem("fw-share-position") === "1";
$("share-position").addEventListener("change", (e) => localStorage.setItem("fw-share-position", e.target.checked ? "1" : "0"));

// -- the unit: status, assignment ------------------------------------------------------------------------------
function render(u) {
  if (!u) return;
  unit = u;
  $("status").textContent = t(u.status.replaceAll("_", " "));
  document.body.dataset.status = u.status;
  for (const b of document.querySelectorAll(".status-btn")) b.setAttribute("aria-pressed", String(b.dataset.status === u.status));
  const box = $("assignment");
  const a = u.assignment;
  box.hidden = !a;
  if (a) {
    const d = u.assignment_detail;
    const what = d ? `${d.kind === "incident" ? t("Incident {n}", { n: d.number }) : t("Alarm {id}", { id: d.id })}: ${d.title}${d.zone ? ` · ${d.zone}` : ""}` : a.incident ? t("Incident {n}", { n: a.incident }) : t("Alarm {id}", { id: a.alarm });
    $("assignment-text").textContent = what;
    $("accept").hidden = Boolean(a.accepted_at);
  }
}
async function refresh() {
  try { render(await call("/api/v1/field/me", undefined, "GET")); setNet(true); } catch (e) { if (!e.status) setNet(false); }
}

for (const b of document.querySelectorAll(".status-btn")) {
  b.addEventListener("click", async () => {
    try {
      const loc = await position();
      const body = { status: b.dataset.status };
      if (loc) body.location = loc;
      render(await call(`/api/v1/units/${unit.id}/status`, body));
      await refresh();
      say(`${t("Status:")} ${t(b.dataset.status.replaceAll("_", " "))}`, "ok");
    } catch (e) { say(e.message, "error"); }
  });
}
$("accept").addEventListener("click", async () => {
  try { await call(`/api/v1/units/${unit.id}/accept`); await refresh(); say(t("Assignment accepted"), "ok"); } catch (e) { say(e.message, "error"); }
});
$("check-in").addEventListener("click", async () => {
  try {
    const loc = await position();
    render(await call("/api/v1/field/check-in", loc ? { location: loc } : {}));
    await refresh();
    say(t("Checked in"), "ok");
  } catch (e) { say(e.message, "error"); }
});

// Help now: the first tap arms the button for 4 seconds; the second sends.
let armed = null;
$("help").addEventListener("click", async () => {
  const btn = $("help");
  if (!armed) {
    btn.classList.add("armed");
    btn.textContent = t("TAP AGAIN TO SEND");
    armed = setTimeout(() => { armed = null; btn.classList.remove("armed"); btn.textContent = t("HELP NOW"); }, 4000);
    return;
  }
  clearTimeout(armed);
  armed = null;
  btn.classList.remove("armed");
  btn.textContent = t("HELP NOW");
  try {
    const loc = await position();
    await call("/api/v1/field/help", loc ? { location: loc } : {});
    say(t("Help requested: the control room has been alerted."), "ok");
  } catch (e) { say(t("Help not sent: {reason}. Use the radio.", { reason: e.message }), "error"); }
});

// -- readiness checks assigned to this unit: one tap per item, ok or failed ---------------------------------------
function checkItem(list, item) {
  const row = document.createElement("div");
  row.className = `check st-${item.state}`;
  row.dataset.item = `${list.id}/${item.id}`;
  const label = document.createElement("p");
  label.textContent = `${item.text} · ${t(item.state)}`;
  row.append(label);
  for (const state of ["ok", "failed"]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `big check-${state}`;
    b.textContent = state === "ok" ? t("OK") : t("Failed");
    b.setAttribute("aria-label", `${item.text}: ${state === "ok" ? t("OK") : t("Failed")}`);
    b.setAttribute("aria-pressed", String(item.state === state));
    b.addEventListener("click", async () => {
      try { await call(`/api/v1/checklists/${list.id}/items/${item.id}`, { state }); await loadChecks(); say(`${item.text}: ${t(state)}`, "ok"); }
      catch (e) { say(e.message, "error"); }
    });
    row.append(b);
  }
  return row;
}
async function loadChecks() {
  const { zones } = await call("/api/v1/readiness", undefined, "GET");
  const lists = zones.flatMap((z) => z.checklists);
  $("checks").hidden = lists.length === 0;
  $("checklists").replaceChildren(...lists.map((l) => {
    const box = document.createElement("div");
    const h = document.createElement("h3");
    h.textContent = l.checkpoint;
    box.append(h, ...l.items.map((i) => checkItem(l, i)));
    return box;
  }));
}
loadChecks().catch(() => {});

// -- report types: most used on this phone first, searchable -------------------------------------------------------
const used = () => JSON.parse(localStorage.getItem("fw-used-types") || "{}");
function fillTypes() {
  const q = $("report-search").value.trim().toLowerCase();
  const counts = used();
  const types = (config.types || [])
    .filter((t) => !q || t.name.toLowerCase().includes(q) || t.id.includes(q))
    .sort((a, b) => (counts[b.id] || 0) - (counts[a.id] || 0) || a.name.localeCompare(b.name));
  const sel = $("report-type");
  const keep = sel.value;
  sel.replaceChildren(...types.map((t) => { const o = document.createElement("option"); o.value = t.id; o.textContent = t.name; return o; }));
  if (types.some((t) => t.id === keep)) sel.value = keep;
  else if (types.length) sel.value = types[0].id;
}
$("report-search").addEventListener("input", fillTypes);
fillTypes();

// -- the outbox (IndexedDB) ------------------------------------------------------------------------------------
function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("fairwatch-field", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("outbox", { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
async function store(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction("outbox", mode);
    const result = fn(tx.objectStore("outbox"));
    tx.oncomplete = () => resolve(result.result ?? result);
    tx.onerror = () => reject(tx.error);
  });
}
const queued = () => store("readonly", (s) => s.getAll());
const enqueue = (report) => store("readwrite", (s) => s.put(report));
const dequeue = (id) => store("readwrite", (s) => s.delete(id));

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `r-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function showOutbox() {
  const n = (await queued()).length;
  $("outbox").textContent = n ? (n === 1 ? t("1 report waiting to be sent") : t("{n} reports waiting to be sent", { n })) : "";
}

let flushing = false;
async function flush() {
  if (flushing) return;
  flushing = true;
  try {
    for (const report of await queued()) {
      try {
        await call("/api/v1/field/reports", report);
        await dequeue(report.id);
        setNet(true);
        say(t("Report sent"), "ok");
      } catch (e) {
        if (!e.status || e.status >= 500 || e.status === 429 || e.status === 401) { setNet(Boolean(e.status)); break; }
        await dequeue(report.id); // refused for what it holds: retrying would not help
        say(t("Report refused: {reason}", { reason: e.message }), "error");
      }
    }
  } finally {
    flushing = false;
    await showOutbox();
  }
}

$("report-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const type = $("report-type").value;
  if (!type) { say(t("Choose what you report"), "error"); return; }
  const report = { id: newId(), type, time: serverNow().toISOString() };
  const zone = $("report-zone").value;
  const severity = $("report-severity").value;
  const text = $("report-text").value.trim();
  if (zone) report.zone = zone;
  if (severity) report.severity = severity;
  if (text) report.text = text;
  const loc = await position();
  if (loc) report.location = loc;
  await enqueue(report);
  const counts = used();
  counts[type] = (counts[type] || 0) + 1;
  localStorage.setItem("fw-used-types", JSON.stringify(counts));
  $("report-text").value = "";
  say(navigator.onLine ? t("Sending report...") : t("Offline: the report will be sent when the connection returns"), "info");
  await showOutbox();
  await flush();
});

// -- live: the unit's changes by SSE; a poll as the fallback when the stream is down or the page slept ---------------
let lastBeat = Date.now();
function stream() {
  const source = new EventSource("/api/v1/field/stream");
  source.addEventListener("unit", () => { lastBeat = Date.now(); refresh(); });
  source.addEventListener("heartbeat", () => { lastBeat = Date.now(); });
  source.onopen = () => { lastBeat = Date.now(); setNet(true); refresh(); flush(); };
  source.addEventListener("access-ended", () => { source.close(); location.reload(); });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) setTimeout(stream, 3000); };
}
window.addEventListener("online", () => { setNet(true); flush(); refresh(); });
window.addEventListener("offline", () => setNet(false));
document.addEventListener("visibilitychange", () => { if (!document.hidden) { refresh(); flush(); } });
setInterval(() => { if (Date.now() - lastBeat > 2 * (config.heartbeat || 15) * 1000) refresh(); flush(); }, 10_000);

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(() => {});
setNet(navigator.onLine);
render(unit);
refresh();
showOutbox().then(flush);
stream();
