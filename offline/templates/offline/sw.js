{% load static %}/* The MHA Portal's service worker (served at /sw.js by offline/views.py; what it precaches and
   its version come from offline/worker.py). Workbox 7 is vendored under /static/vendor/workbox/ by
   `make vendor-workbox`; nothing is loaded from a CDN.

   - static files: precached under a versioned cache name;
   - the offline pages (outbox and forms): network first, the cached copy when offline; warmed
     when the worker installs, so a new version opens offline before the old one is removed;
   - any other page that cannot be reached offline: the cached outbox page;
   - the outbox is IndexedDB (offline-store.js), which an upgrade never touches; Background Sync
     sends it where the browser has it (pages also send on load, on "online" and on a timer). */
const VERSION = "{{ version }}";
const PAGES_CACHE = "mha-pages-" + VERSION;
const OUTBOX_URL = "/offline/";

importScripts(
  "{% static 'vendor/workbox/workbox-core.prod.js' %}",
  "{% static 'vendor/workbox/workbox-routing.prod.js' %}",
  "{% static 'vendor/workbox/workbox-strategies.prod.js' %}",
  "{% static 'vendor/workbox/workbox-precaching.prod.js' %}",
  "{% static 'vendor/workbox/workbox-cacheable-response.prod.js' %}",
  "{% static 'js/offline-store.js' %}"
);

workbox.core.setCacheNameDetails({ prefix: "mha", suffix: VERSION });
workbox.precaching.precacheAndRoute({{ precache|safe }});

// A page answered by the login form (a redirect) must never be kept as the page itself.
const notRedirected = {
  cacheWillUpdate: async ({ response }) => (response && response.ok && !response.redirected ? response : null),
};

const offlinePages = new workbox.strategies.NetworkFirst({
  cacheName: PAGES_CACHE,
  networkTimeoutSeconds: 5,
  // Pages vary on Cookie and Accept-Language; the copy is this user's, in their language.
  matchOptions: { ignoreVary: true },
  plugins: [notRedirected, new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] })],
});

workbox.routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.pathname.startsWith(OUTBOX_URL),
  offlinePages
);
workbox.routing.registerRoute(
  ({ request }) => request.mode === "navigate",
  new workbox.strategies.NetworkOnly()
);
workbox.routing.setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const cached = await caches.match(OUTBOX_URL, { cacheName: PAGES_CACHE, ignoreVary: true });
    if (cached) return cached;
  }
  return Response.error();
});

async function warm(urls) {
  if (!urls) {
    const answer = await fetch("/offline/pages/", { credentials: "same-origin", cache: "no-store" });
    urls = answer.ok ? (await answer.json()).pages : [];
  }
  const cache = await caches.open(PAGES_CACHE);
  await Promise.all(urls.map(async (url) => {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (response.ok && !response.redirected) await cache.put(url, response);
  }));
}

self.addEventListener("install", (event) => {
  // If the pages cannot be fetched (offline), the install fails and the old version stays.
  event.waitUntil(warm().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("mha-") && !name.endsWith(VERSION))
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "warm") event.waitUntil(warm(data.urls).catch(() => null));
  if (data.type === "version" && event.ports[0]) event.ports[0].postMessage({ version: VERSION });
});

self.addEventListener("sync", (event) => {
  if (event.tag === "mha-outbox") event.waitUntil(MHAOffline.sync());
});
