// Tend's service worker, version {{ version }}. Rendered by the server, so the list below
// holds exactly the versioned URLs the pages use.
// It keeps the app (styles, scripts, icons, the editor shell and the offline page) and
// never a page with journal text: pages always come from the network while there is one.
"use strict";

importScripts(
  {{ asset_url('js/sw-push.js')|tojson }},
  {{ asset_url('js/drafts.js')|tojson }},
  {{ asset_url('js/media-store.js')|tojson }},
  {{ asset_url('js/media-sync.js')|tojson }},
  {{ asset_url('js/sync-core.js')|tojson }}
);

const VERSION = {{ version|tojson }};
const CACHE_PREFIX = "tend-static-";
const STATIC_CACHE = CACHE_PREFIX + VERSION;
const PRECACHE = {{ precache|tojson }};
const WRITE_URL = {{ url_for('pwa.write')|tojson }};
const OFFLINE_URL = {{ url_for('pwa.offline')|tojson }};
// Shell pages answer for themselves offline (the recorder, the drawing pad).
const SHELL_PATHS = [WRITE_URL, OFFLINE_URL, {{ url_for('media.record')|tojson }}, {{ url_for('media.draw')|tojson }}];
// Where the editor is the best answer offline: the home screen start page and the journal.
const EDITOR_PATHS = ["/", "/journal", WRITE_URL];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE).then((cache) =>
      cache.addAll(
        PRECACHE.map((url) =>
          // A versioned file never changes under its URL: the browser's copy is good.
          new Request(url, { cache: url.includes("?v=") ? "default" : "no-cache", credentials: "same-origin" })
        )
      )
    )
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        // Only Tend's own older caches; anything else on this origin is left alone.
        if (name.startsWith(CACHE_PREFIX) && name !== STATIC_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })()
  );
});

function isStatic(url) {
  return url.pathname.startsWith("/static/");
}

async function fromCacheFirst(request) {
  // Versioned files are the same for every request: Vary headers do not matter here.
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  const url = new URL(request.url);
  // Only versioned files: their content never changes under the same URL.
  if (response.ok && url.searchParams.has("v")) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirstPage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const path = new URL(request.url).pathname;
    const fallback = SHELL_PATHS.includes(path) ? path : EDITOR_PATHS.includes(path) ? WRITE_URL : OFFLINE_URL;
    // The shell pages hold nothing personal and are the same for everyone.
    const cached =
      (await caches.match(fallback, { ignoreVary: true })) ||
      (await caches.match(OFFLINE_URL, { ignoreVary: true }));
    if (cached) return cached;
    return new Response("Tend is offline just now. Please try again when there is a connection.", {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request));
  } else if (isStatic(url)) {
    event.respondWith(fromCacheFirst(request));
  }
  // Everything else (fragments, the API, the manifest) goes to the network untouched.
});

// Background Sync: drafts written offline go home even if Tend is closed by then.
self.addEventListener("sync", (event) => {
  if (event.tag !== "tend-sync") return;
  event.waitUntil(
    self.tendSync.syncNow().then((summary) => {
      // Offline or a server hiccup: fail, so the browser tries again later.
      if (summary.state === "offline" || summary.state === "error") {
        throw new Error("sync not finished");
      }
    })
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "version" && event.ports[0]) {
    event.ports[0].postMessage({ version: VERSION });
  }
  // A page that just opened asks a version installed on an earlier visit to take over.
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});
