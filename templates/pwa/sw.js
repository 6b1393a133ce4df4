{#- Tend's service worker. Rendered by the server, so the lists below hold exactly the
    versioned URLs the pages use; its comments are the template's, so none of them is sent.
    It keeps the app (styles, scripts, icons, the editor, capture, the recorder, the drawing
    pad, the crisis lines and the offline page) and never a page with journal text: pages come
    from the network while there is one. When the network is slower than PATIENCE_MS, a kept
    page answers meanwhile and the real one follows when it arrives (held in memory only,
    until that page asks for it).
    What it keeps comes in two parts (webapp/pwa/routes.py): the first while it installs, on a
    person's first visit, so that visit stays light; the later one when a page asks for it
    ("keep-the-rest", sent by static/js/pwa.js once the first visit is over). -#}
// Tend's service worker, version {{ version }}.
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
{#- Each part: {assets: [versioned files], pages: [kept pages], pack: the pages in one answer}. #}
const KEPT = {{ kept|tojson }};
const PATIENCE_MS = {{ patience_ms|tojson }};
const WRITE_URL = {{ url_for('pwa.write')|tojson }};
const CAPTURE_URL = {{ url_for('pwa.capture')|tojson }};
const OFFLINE_URL = {{ url_for('pwa.offline')|tojson }};
const SUPPORT_URL = {{ url_for('support.offline')|tojson }};
{#- The best kept page for a path with no connection: the editor for the home screen start
    page and the journal, capture for itself, the crisis lines for Support; else a kind note. #}
const SHELL_FOR = new Map([
  ["/", WRITE_URL],
  ["/journal", WRITE_URL],
  [WRITE_URL, WRITE_URL],
  [CAPTURE_URL, CAPTURE_URL],
  [{{ url_for('support.support')|tojson }}, SUPPORT_URL],
  [{{ url_for('support.safety_plan')|tojson }}, SUPPORT_URL],
  [SUPPORT_URL, SUPPORT_URL],
  {#- The recorder and the drawing pad answer for themselves. #}
  [{{ url_for('media.record')|tojson }}, {{ url_for('media.record')|tojson }}],
  [{{ url_for('media.draw')|tojson }}, {{ url_for('media.draw')|tojson }}],
]);
const LATE_PAGE_MS = 60 * 1000;

{#- Set when the device is being cleared (signing out, erasing): nothing more is kept. #}
let forgetting = false;
{#- Stops what this version is downloading to keep: a newer version was found (it keeps
    everything itself, and cannot take over while this one is still busy), or the device
    is being cleared. #}
let keeping = new AbortController();

function fetched(url, init) {
  return fetch(url, { credentials: "same-origin", signal: keeping.signal, ...init }).then((response) => {
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response;
  });
}

{#- Store one part: everything is fetched first, then stored, so a part is kept whole or not
    at all. A versioned file never changes under its URL, so the browser's own copy is good;
    the pages come in one answer, each with its own headers. #}
async function keep(part) {
  const [pack, ...files] = await Promise.all([
    fetched(part.pack, { cache: "no-store" }).then((response) => response.json()),
    ...part.assets.map((url) => fetched(url)),
  ]);
  if (forgetting) return;
  const cache = await caches.open(STATIC_CACHE);
  await Promise.all([
    ...files.map((response, index) => cache.put(part.assets[index], response)),
    ...pack.pages.map((page) =>
      cache.put(page.url, new Response(page.body, { headers: page.headers }))),
  ]);
}

async function holds(part) {
  const found = await Promise.all([...part.assets, ...part.pages].map((url) =>
    caches.match(url, { cacheName: STATIC_CACHE, ignoreVary: true })));
  return found.every(Boolean);
}

{#- The rest, while it is being stored (or once it is): the later part after a first visit,
    and whatever else is missing (a part stored while installing is never stored twice). #}
let rest = null;

{#- A newer version on its way keeps everything itself while it installs: this one keeps
    nothing more (its cache goes when the newer one takes over, which waits for this one to
    finish what it is doing). #}
function superseded() {
  return Boolean(self.registration.installing || self.registration.waiting);
}

{#- A newer version was found: stop downloading. The event reaches the newer version's own
    scope too: harmless before its install starts (nothing is being kept yet), skipped once
    it has. #}
let installingHere = false;

function stopKeeping() {
  keeping.abort();
  keeping = new AbortController();
}

self.registration.addEventListener("updatefound", () => {
  if (!installingHere) stopKeeping();
});

function keepTheRest() {
  if (!rest) {
    rest = (async () => {
      for (const part of [KEPT.first, KEPT.later]) {
        if (forgetting || superseded()) return false;
        if (!(await holds(part))) await keep(part);
      }
      return !forgetting;
    })()
      .catch(() => false)
      .then((done) => {
        if (!done) rest = null; {#- no connection, or cut short: the next page asks again #}
        return done;
      });
  }
  return rest;
}

self.addEventListener("install", (event) => {
  installingHere = true;
  {#- A first visit stores the first part only. A new version of an installed Tend stores
      both now: the old version's cache goes when it takes over, and nothing kept may go with it. #}
  const parts = self.registration.active ? [KEPT.first, KEPT.later] : [KEPT.first];
  event.waitUntil(Promise.all(parts.map(keep)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        {#- Only Tend's own older caches; anything else on this origin is left alone. #}
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
  {#- Versioned files are the same for every request: Vary headers do not matter here. #}
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  const url = new URL(request.url);
  {#- Only versioned files: their content never changes under the same URL. #}
  if (response.ok && url.searchParams.has("v") && !forgetting) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function keptPageFor(request) {
  const path = new URL(request.url).pathname;
  const fallback = SHELL_FOR.get(path) || OFFLINE_URL;
  {#- The shell pages hold nothing personal and are the same for everyone. #}
  const cached =
    (await caches.match(fallback, { ignoreVary: true })) ||
    (await caches.match(OFFLINE_URL, { ignoreVary: true }));
  if (cached) return cached;
  return new Response("Tend is offline just now. Please try again when there is a connection.", {
    status: 503,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

{#- Pages that arrived after a kept page answered for them, by URL: in memory, for a minute at
    most, served once to the page that asks (see the "late-page" message below). #}
const latePages = new Map();

function pageKey(url) {
  const parsed = new URL(url);
  parsed.hash = "";
  return parsed.href;
}

async function networkFirstPage(event) {
  const request = event.request;
  const key = pageKey(request.url);
  const late = latePages.get(key);
  if (late && late.response) {
    latePages.delete(key);
    late.served();
    return late.response;
  }
  {#- A request of its own, not the navigation's: Chromium may cancel the navigation's request
      once a kept page has answered it, and the real page would never come. #}
  const network = fetch(request.url, {
    credentials: "same-origin",
    headers: request.headers,
    redirect: "manual",
  });
  let timer;
  const patience = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), PATIENCE_MS);
  });
  try {
    const answer = await Promise.race([network, patience]);
    if (answer) return answer;
  } catch (error) {
    return keptPageFor(request); {#- no connection at all #}
  } finally {
    clearTimeout(timer);
  }
  {#- One bar of signal: the kept page now, the real one when (if) it comes. #}
  const entry = { response: null };
  const served = new Promise((resolve) => { entry.served = resolve; });
  entry.arrived = network.then(
    (response) => { entry.response = response; return true; },
    () => false
  );
  latePages.set(key, entry);
  {#- Kept only as long as it may be asked for: a waiting new version takes over only once
      this one has nothing left to do. #}
  const unclaimed = entry.arrived.then((arrived) =>
    arrived && new Promise((resolve) => setTimeout(resolve, LATE_PAGE_MS)));
  event.waitUntil(
    Promise.race([unclaimed, served]).then(() => {
      if (latePages.get(key) === entry) latePages.delete(key);
    })
  );
  return keptPageFor(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(event));
  } else if (isStatic(url)) {
    event.respondWith(fromCacheFirst(request));
  }
  {#- Everything else (fragments, the API, the manifest) goes to the network untouched. #}
});

{#- Background Sync: drafts written offline go home even if Tend is closed by then. #}
self.addEventListener("sync", (event) => {
  if (event.tag !== "tend-sync") return;
  event.waitUntil(
    self.tendSync.syncNow().then((summary) => {
      {#- Offline or a server hiccup: fail, so the browser tries again later. #}
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
  {#- A kept page that answered for a slow one asks whether the real page has come. #}
  if (event.data && event.data.type === "late-page" && event.ports[0]) {
    const late = latePages.get(pageKey(event.data.url));
    const port = event.ports[0];
    if (!late) port.postMessage({ ready: false });
    else event.waitUntil(late.arrived.then((ready) => port.postMessage({ ready })));
  }
  {#- The first visit is over: keep the rest of Tend for offline use. #}
  if (event.data && event.data.type === "keep-the-rest") event.waitUntil(keepTheRest());
  {#- Whether everything Tend keeps is on this device (once what is under way has finished). #}
  if (event.data && event.data.type === "kept" && event.ports[0]) {
    const port = event.ports[0];
    event.waitUntil((async () => {
      if (rest) await rest;
      port.postMessage({ first: await holds(KEPT.first), later: await holds(KEPT.later) });
    })());
  }
  if (event.data && event.data.type === "forget") {
    forgetting = true;
    stopKeeping();
  }
  {#- A page that just opened asks a version installed on an earlier visit to take over. #}
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});
