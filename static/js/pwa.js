// Installable and offline: registers the service worker, keeps drafts syncing when the
// network returns, says kindly when Tend was updated, and cleans the device on sign-out
// (with sign-out.js).

const SYNC_TAG = "tend-sync";
const MAX_BACKOFF_MS = 5 * 60 * 1000;
let backoffMs = 0;
let retryTimer = null;
let syncing = null;

function notice(text, { kind = "info", link = null, id = null } = {}) {
  const messages = document.getElementById("messages");
  if (!messages) return;
  if (id) document.getElementById(id)?.remove();
  const box = document.createElement("p");
  box.className = `notice notice-${kind}`;
  if (id) box.id = id;
  box.textContent = text;
  if (link) {
    const anchor = document.createElement("a");
    anchor.href = link.href;
    anchor.textContent = link.text;
    box.append(" ", anchor);
  }
  messages.append(box);
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    // A new version found on an earlier visit takes over now, at the start of this one
    // (pages come from the network and files have versioned names, so nothing clashes);
    // one found during this visit (register() checks too) waits for the next.
    const earlier = await navigator.serviceWorker.getRegistration("/");
    if (earlier && earlier.waiting && navigator.serviceWorker.controller) {
      earlier.waiting.postMessage({ type: "skip-waiting" });
    }
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    return registration;
  } catch {
    return null;
  }
}

// The worker keeps what the first moment without a connection needs while it installs; the
// rest (capture, the recorder, the drawing pad, htmx) once the first visit is over, so that
// visit stays light: as soon as a later page opens, when the person leaves the app, or when
// the first page has been open and quiet for a few seconds. Asking again costs nothing.
// Once the rest is kept, the page hears "tend:settled" (app.js then brings htmx from it).
const SETTLED_MS = 5000;

function askToKeepTheRest() {
  navigator.serviceWorker?.controller?.postMessage({ type: "keep-the-rest" });
}

/** A worker's answer to one message, or null after ``patience`` ms (none: wait for it). */
function askWorker(worker, message, patience = null) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    worker.postMessage(message, [channel.port2]);
    if (patience !== null) setTimeout(() => resolve(null), patience);
  });
}

/** What the worker holds ({first, later}), once what it is storing just now is stored. */
function kept() {
  const worker = navigator.serviceWorker?.controller;
  return worker ? askWorker(worker, { type: "kept" }) : Promise.resolve(null);
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function keepTheRestOnceSettled() {
  if (!("serviceWorker" in navigator)) return;
  const later = Boolean(navigator.serviceWorker.controller); // a worker was here already
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") askToKeepTheRest();
  });
  if (document.readyState !== "complete") {
    await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
  }
  if (!later) {
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    }
    await pause(SETTLED_MS);
  }
  if ("requestIdleCallback" in window) {
    await new Promise((resolve) => requestIdleCallback(resolve, { timeout: SETTLED_MS }));
  }
  askToKeepTheRest();
  if ((await kept())?.later) document.dispatchEvent(new CustomEvent("tend:settled"));
}

/** A kept page answering for a slow one: the real page replaces it as soon as it comes. */
function standingIn() {
  const own = document.body.dataset.shell;
  return Boolean(own) && location.pathname !== own;
}

/** Tell the person, once, that a new version of Tend is now running. Only the worker that
 * still controls the page when it answers counts (an older one may answer just after a new
 * one took over, which asks again on "controllerchange"); a busy one is asked again. A kept
 * page standing in for a slow one leaves the note to the real page that replaces it. */
async function noticeUpdate() {
  if (standingIn()) return;
  for (let asked = 0; asked < 4; asked += 1) {
    const worker = navigator.serviceWorker?.controller;
    if (!worker) return;
    // A busy phone may take a moment to answer.
    const version = (await askWorker(worker, { type: "version" }, 5000))?.version;
    if (worker !== navigator.serviceWorker.controller) return;
    if (!version) continue;
    const seen = localStorage.getItem("tend-version");
    localStorage.setItem("tend-version", version);
    if (seen && seen !== version) {
      notice("Tend was updated. Everything you wrote is where you left it.", { id: "tend-updated" });
    }
    return;
  }
}

async function askBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    if (registration && "sync" in registration) await registration.sync.register(SYNC_TAG);
  } catch {
    // No Background Sync here: the page syncs on load, when online, and when shown.
  }
}

function signInLink() {
  const next = encodeURIComponent(location.pathname + location.search);
  return { href: `/login?next=${next}`, text: "Sign in to sync" };
}

/** Sync the drafts on this device, backing off while the network or server is unwell. */
let again = false;

function syncDrafts() {
  if (!self.tendSync) return Promise.resolve(null);
  if (syncing) {
    // A sync is under way and may not carry the newest draft: run once more after it.
    again = true;
    return syncing.then(() => null);
  }
  syncing = (async () => {
    const pending = (await self.tendDrafts.all()).filter(self.tendSync.isSaved);
    const media = self.tendMediaSync ? await self.tendMediaSync.waiting() : 0;
    if (!pending.length && !media) {
      reportSync({ state: "idle", synced: [], conflicts: [], rejected: [], moved: {}, remaining: 0 });
      return null;
    }
    document.dispatchEvent(new CustomEvent("tend:syncing"));
    const summary = await self.tendSync.syncNow();
    clearTimeout(retryTimer);
    if (summary.state === "offline" || summary.state === "error") {
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs ? backoffMs * 2 : 2000);
      retryTimer = setTimeout(syncDrafts, backoffMs);
      askBackgroundSync();
    } else {
      backoffMs = 0;
    }
    return summary;
  })().finally(() => {
    syncing = null;
    if (again) {
      again = false;
      syncAndReport();
    }
  });
  return syncing;
}

function reportSync(summary) {
  if (!summary) return;
  document.dispatchEvent(new CustomEvent("tend:synced", { detail: summary }));
  if (summary.state === "signed-out" && summary.remaining) {
    notice(`${summary.remaining === 1 ? "One entry is" : `${summary.remaining} entries are`} waiting on this device.`,
      { link: signInLink(), id: "tend-sync-signin" });
  }
  const saidSo = document.getElementById("draft-editor") || document.getElementById("tend-kept-on-device");
  if (!saidSo && summary.remaining && (summary.state === "offline" || summary.state === "error")) {
    notice(`${summary.remaining === 1 ? "One entry is" : `${summary.remaining} entries are`} kept on this device and will sync when Tend can be reached.`,
      { link: { href: "/write", text: "See what is waiting" }, id: "tend-sync-waiting" });
  }
  if (summary.conflicts.some((c) => c.conflict_copy_id)) {
    notice("An entry was changed on two devices. Both versions are in your journal, side by side.",
      { id: "tend-sync-conflict" });
  }
}

// Every sync, from this page, another tab or the service worker, announces its summary here.
let syncChannel = null; // held for the page's lifetime, so it is never collected

function listenForSyncs() {
  if (!("BroadcastChannel" in self)) return;
  syncChannel = new BroadcastChannel("tend-sync");
  syncChannel.onmessage = (event) => {
    if (event.data?.type === "synced") reportSync(event.data.summary);
  };
}

async function syncAndReport() {
  try {
    await syncDrafts();
  } catch {
    // Drafts stay on the device; the next trigger tries again.
  }
}

/** A journal form that could not reach Tend keeps its words on the device, as a draft that
 * syncs later like any other: nothing typed is lost to a dropped connection. */
function keepUnsentEntries() {
  document.body.addEventListener("htmx:sendError", async (event) => {
    const form = event.detail.elt;
    const account = document.body.dataset.account;
    if (!(form instanceof HTMLFormElement) || !account || !self.tendDrafts) return;
    const path = new URL(form.getAttribute("hx-post") || form.action, location.href).pathname;
    const match = path.match(/^\/entries(?:\/([0-9a-f-]{36}))?$/);
    const body = form.elements.body?.value || "";
    if (!match || !body.trim()) return;
    const editing = Boolean(match[1]);
    const id = match[1] || self.tendDrafts.newId();
    const version = Number(form.dataset.version) || null;
    const mood = form.querySelector('input[name="mood"]:checked')?.value;
    const now = new Date().toISOString();
    try {
      await self.tendDrafts.update(id, (current) => ({
        id, account, base_version: current ? current.base_version : version,
        title: form.elements.title?.value || "", body, mood: mood ? Number(mood) : null,
        prompt: null, journey_id: null, deleted: false, ready: true, // "Save entry" was pressed
        revision: current ? current.revision + 1 : 1, client_updated_at: now, rejected: null,
      }));
    } catch {
      return; // the words are still in the form; app.js has said Tend could not be reached
    }
    if (!editing) {
      form.reset();
      const details = form.querySelector("details");
      if (details) details.open = false;
    }
    document.getElementById("messages")?.replaceChildren();
    notice("Tend couldn't be reached, so this entry is saved on this device. It will sync when the connection returns.",
      { link: { href: `/write?draft=${id}`, text: "Open it" }, id: "tend-kept-on-device" });
    syncAndReport();
  });
}

/** Once an edit form did reach Tend, its newer words replace the copy kept on the device. */
function forgetSentEdits() {
  // Before the swap, while the form is still in the page (events of removed elements
  // no longer reach the body).
  document.body.addEventListener("htmx:beforeSwap", async (event) => {
    const form = event.detail.requestConfig?.elt; // detail.elt is the swap's target here
    const saved = event.detail.xhr && event.detail.xhr.status >= 200 && event.detail.xhr.status < 300;
    if (!(form instanceof HTMLFormElement) || !saved || !self.tendDrafts) return;
    const path = new URL(form.getAttribute("hx-post") || form.action, location.href).pathname;
    const match = path.match(/^\/entries\/([0-9a-f-]{36})$/);
    if (!match) return;
    const kept = await self.tendDrafts.get(match[1]);
    if (kept && kept.account === document.body.dataset.account) {
      await self.tendDrafts.remove(match[1]);
      document.getElementById("tend-kept-on-device")?.remove();
    }
  });
}

// Signing out and erasing the account clear the device (sign-out.js, loaded when needed: when
// the person asks, on pages that offer it, and on the next page when one was left unfinished).
// A sign-out once asked for is remembered on the device, so it always finishes.
const SIGNING_OUT = "tend-signing-out";
const ERASING = "tend-erasing";
let signOutModule = null;

function signOutTools() {
  if (!signOutModule) {
    const url = document.querySelector('meta[name="tend-sign-out"]')?.content;
    signOutModule = (url ? import(url) : Promise.reject(new Error("no sign-out script")))
      .then((module) => {
        module.connect({ syncDrafts, notice, stopRetrying: () => clearTimeout(retryTimer) });
        return module;
      })
      .catch((error) => { signOutModule = null; throw error; });
  }
  return signOutModule;
}

function guardSignOut() {
  const forms = document.querySelectorAll("form[data-sign-out]");
  for (const form of forms) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      signOutTools().then((tools) => tools.signOut(), () => {
        notice("Signing out did not finish. Please try again in a moment.",
          { kind: "error", id: "tend-signout-stopped" });
      });
    });
  }
  // Ready before the person asks (the page loads the script with its form), so signing
  // out works even if the connection drops.
  if (document.querySelector('script[src*="/js/sign-out.js"]')) signOutTools().catch(() => {});
}

/** Erasing the account: once it is gone (the next page has nobody signed in), nothing of
 * it stays on this device either. A refused erase (wrong password) leaves all as it was. */
function clearAfterErasing(account) {
  for (const form of document.querySelectorAll("form[data-clears-device]")) {
    form.addEventListener("submit", () => localStorage.setItem(ERASING, "1"));
  }
  if (!localStorage.getItem(ERASING)) return;
  localStorage.removeItem(ERASING);
  if (!account) signOutTools().then((tools) => tools.clearDevice()).catch(() => {});
}

/** A sign-out the person asked for on an earlier page, left before it finished. */
async function finishSignOut(account) {
  if (!localStorage.getItem(SIGNING_OUT)) return false;
  return (await signOutTools()).finishSignOut(account);
}

/** Remember who is signed in here, so drafts written offline later carry their account. */
async function rememberAccount(id) {
  if (!self.tendDrafts) return;
  const known = await self.tendDrafts.getMeta("account");
  if (!known || known.id !== id) await self.tendDrafts.setMeta("account", { id });
}

function start() {
  guardSignOut();
  keepUnsentEntries();
  forgetSentEdits();
  const account = document.body.dataset.account;
  const shell = document.body.hasAttribute("data-shell");
  if (!shell) {
    clearAfterErasing(account || null);
    const asked = localStorage.getItem(SIGNING_OUT);
    finishSignOut(account || null).catch(() => {});
    // Signing out is under way: nothing is kept, synced or installed here meanwhile.
    if (asked && (!account || asked === account || asked === "this-device")) return;
  }
  if (shell) followLatePage();
  // Tend installs its worker for people who are signed in (and on its own offline pages);
  // after signing out nothing of it stays on the device.
  if (!account && !shell) return;
  if (account) rememberAccount(account).catch(() => {});
  // Listen first: registering the worker can take long with a poor or no connection.
  listenForSyncs();
  window.addEventListener("online", () => { backoffMs = 0; syncAndReport(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncAndReport();
  });
  document.addEventListener("tend:sync-now", syncAndReport);
  // Written with no signal: let the browser send it once the network is back, even if Tend
  // is closed by then.
  document.addEventListener("tend:draft-saved", () => {
    if (!navigator.onLine) askBackgroundSync();
  });
  // Leaving the app with drafts on the device: send them now, or as soon as possible.
  document.addEventListener("visibilitychange", async () => {
    if (document.visibilityState !== "hidden" || !self.tendDrafts) return;
    const media = self.tendMediaSync ? await self.tendMediaSync.waiting() : 0;
    if (!(await self.tendDrafts.all()).some(self.tendSync.isSaved) && !media) return;
    if (navigator.onLine) syncAndReport();
    askBackgroundSync();
  });
  if ("serviceWorker" in navigator) {
    // A new version may take over just after this page opened (it waits for the last page
    // of the old one to close): say so then.
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      noticeUpdate().catch(() => {});
    });
  }
  keepTheRestOnceSettled().catch(() => {});
  registerWorker().then((registration) => {
    if (!registration) return;
    noticeUpdate().catch(() => {});
    navigator.storage?.persist?.().catch(() => {});
  });
  syncAndReport();
}

/** A kept page answered because the network was too slow (one bar of signal): ask the
 * service worker for the real page, and open it when it arrives, unless the person has
 * started writing here meanwhile (then offer it instead). */
function followLatePage() {
  if (!standingIn() || !navigator.serviceWorker?.controller) return;
  const asked = new URL(location.href);
  asked.hash = "";
  let touched = false;
  document.addEventListener("input", () => { touched = true; }, { once: true });
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => {
    if (!event.data?.ready) return;
    if (!touched) {
      location.replace(asked.href);
      return;
    }
    notice("The page you asked for has arrived.", { link: { href: asked.href, text: "Open it" }, id: "tend-late-page" });
  };
  navigator.serviceWorker.controller.postMessage({ type: "late-page", url: asked.href }, [channel.port2]);
  // A new version of Tend took over meanwhile: the page the old one was waiting for went
  // with it, so ask for the page again (unless the person has started writing here).
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!touched) location.replace(asked.href);
  }, { once: true });
}

// The safety plan kept on this device (kept-plan.js) matters only where a page offers to keep
// it, and everywhere once someone chose to keep it here (the copy is refreshed and shown
// offline, or forgotten when the device locks or another account opens): else nothing is kept.
function keptPlanWhereItMatters() {
  const url = document.querySelector('meta[name="tend-kept-plan"]')?.content;
  let chosen = null;
  try {
    chosen = localStorage.getItem("tend-keep-plan");
  } catch {
    chosen = null; // no storage: nothing can have been kept
  }
  if (url && (chosen || document.querySelector("[data-keep-plan]"))) {
    import(url).catch(() => {});
  }
}

// Classic scripts (drafts.js, sync-core.js, device.js) run before modules, so they exist by now.
keptPlanWhereItMatters();
start();
