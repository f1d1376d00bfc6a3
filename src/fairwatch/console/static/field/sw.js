// The field app's service worker: keeps the app shell so /field opens without a connection. API calls are never
// cached (reports wait in the page's IndexedDB outbox instead).
const CACHE = "fairwatch-field-v2";
const SHELL = ["/field", "/static/field/field.js", "/static/field/plan.js", "/static/field/field.css", "/static/field/icon.svg", "/field/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()),
  );
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (!SHELL.includes(url.pathname)) return;
  // Network first (the page carries the session's fresh state), the cached shell when offline.
  event.respondWith(
    fetch(event.request)
      .then((r) => { if (r.ok) { const copy = r.clone(); caches.open(CACHE).then((c) => c.put(url.pathname, copy)); } return r; })
      .catch(() => caches.match(url.pathname)),
  );
});
