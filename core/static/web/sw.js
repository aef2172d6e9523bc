/* The phone app's service worker, served from /m/sw.js (scope /m/) by core/web/phone.py, which
 * prepends `self.ZQ_SW = {version, shell, precache}`.
 *
 * - The page (/m/) and /jsi18n/: network first (the page carries the duty state and the language),
 *   the cached copy when the network fails or is too slow.
 * - Static files: cache first, refreshed in the background (their URLs are stable; the version
 *   in this script changes with them, so a deploy installs a new worker and a new cache).
 * - The API and the socket are never cached: alerts live in the page's own storage.
 */
/* global self, caches, clients */
"use strict";
const CFG = self.ZQ_SW || { version: "dev", shell: "/m/", precache: [] };
const CACHE = "zq-phone-" + CFG.version;
const NETWORK_TIMEOUT_MS = 4000;

async function keep(cache, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
    // Never keep a redirect (to the login page) under the app's own address.
    if (response.ok && !response.redirected) await cache.put(url, response);
  } catch (err) { /* offline while installing: the next visit fills the cache */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(CFG.precache.map((url) => keep(cache, url)))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("zq-phone-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const fetching = fetch(request);
  try {
    const response = await withTimeout(fetching, NETWORK_TIMEOUT_MS);
    if (response.ok && !response.redirected) cache.put(key, response.clone());
    return response;
  } catch (err) {
    const kept = await cache.match(key, { ignoreVary: true, ignoreSearch: true });
    if (kept) return kept;
    return fetching; // nothing kept: let the browser show its own error (or a late answer)
  }
}

async function cacheFirst(event) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(event.request, { ignoreVary: true });
  const refresh = fetch(event.request).then((response) => {
    if (response.ok) cache.put(event.request, response.clone());
    return response;
  });
  if (kept) {
    event.waitUntil(refresh.catch(() => undefined));
    return kept;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === CFG.shell) {
    event.respondWith(networkFirst(request, CFG.shell));
  } else if (url.pathname.startsWith("/jsi18n/")) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(event));
  }
});

// A tap on an alert notification: show that alert in an open app window, or open one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const id = event.notification.data && event.notification.data.alert_id;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const app = windows.find((w) => new URL(w.url).pathname === CFG.shell);
    if (app) {
      await app.focus();
      if (id) app.postMessage({ type: "open-alert", alert_id: id });
      return;
    }
    await self.clients.openWindow(CFG.shell + (id ? "#alert-" + id : ""));
  })());
});
