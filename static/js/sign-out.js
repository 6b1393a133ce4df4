// Signing out and erasing: warn about what has not reached the journal yet, end the session,
// and leave nothing of the person on this device. Loaded by pwa.js when it is needed (the
// person asks, a page offers it, or one was left unfinished), so other pages stay light.
// Sign-out always finishes: once asked for, it is remembered on the device, so leaving the
// page midway (a tap on a link, Back) picks it up again on the next page. Its progress shows
// in a dialog that keeps the rest of the page out of reach meanwhile.

// What pwa.js lends: its sync, its notices, and a way to stop its retries.
let page = null;

export function connect(tools) {
  page = tools;
}

const SIGNING_OUT = "tend-signing-out";
let signingOut = null;
let leaving = false; // this page is being left: what it was doing is picked up on the next
window.addEventListener("pagehide", () => { leaving = true; });

/** A ``tag`` element labelled by the heading it starts with. */
function titled(tag, className, level, headingId, text) {
  const element = document.createElement(tag);
  element.className = className;
  element.setAttribute("aria-labelledby", headingId);
  const heading = document.createElement(level);
  heading.id = headingId;
  heading.textContent = text;
  element.append(heading);
  return element;
}

function progress(text) {
  let dialog = document.getElementById("tend-signing-out");
  if (!dialog) {
    dialog = titled("dialog", "signing-out", "h2", "tend-signing-out-title", "Signing out");
    dialog.id = "tend-signing-out";
    const step = document.createElement("p");
    step.setAttribute("role", "status");
    dialog.append(step);
    dialog.addEventListener("cancel", (event) => event.preventDefault()); // Esc does not stop it
    document.body.append(dialog);
  }
  if (!dialog.open) dialog.showModal();
  dialog.querySelector("[role=status]").textContent = text;
  return dialog;
}

function stopSigningOut(message) {
  if (leaving) return; // requests cut short by leaving the page: the next page finishes it
  localStorage.removeItem(SIGNING_OUT);
  document.getElementById("tend-signing-out")?.close();
  if (message) page.notice(message, { kind: "error", id: "tend-signout-stopped" });
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function endServerSession(session) {
  const body = new FormData();
  body.set("csrf_token", session.csrf_token);
  // keepalive: the request finishes even if the page is left while it is under way.
  const response = await fetch("/logout", {
    method: "POST", body, credentials: "same-origin", redirect: "manual", keepalive: true,
  });
  return response.type === "opaqueredirect" || response.ok;
}

/** What has not reached the journal yet, in words: "One entry and 2 recordings or drawings". */
function waitingInWords(entries, media) {
  const parts = [];
  if (entries) parts.push(entries === 1 ? "One entry" : `${entries} entries`);
  if (media) parts.push(media === 1 ? "one recording or drawing" : `${media} recordings or drawings`);
  const words = parts.join(" and ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Warn about drafts not yet home, end the session, then leave nothing of this person. With
 * no connection the device is cleared all the same, and the session on Tend ends as soon as
 * Tend can be reached (this page, when the network returns, or the next one opened). */
export function signOut() {
  if (signingOut) return signingOut;
  signingOut = (async () => {
    localStorage.setItem(SIGNING_OUT, document.body.dataset.account || "this-device");
    progress("Sending what is on this device home…");
    if (self.tendDrafts) {
      await Promise.race([page.syncDrafts().catch(() => null), pause(8000)]);
      const entries = (await self.tendDrafts.all()).length;
      const media = self.tendMediaSync ? await self.tendMediaSync.waiting() : 0;
      if (entries + media) {
        const question = `${waitingInWords(entries, media)} on this device ${entries + media === 1 ? "has" : "have"} not reached your journal yet` +
          `${navigator.onLine ? "" : " (there is no connection just now)"}. ` +
          "Signing out deletes them from this device. Sign out anyway?";
        if (!window.confirm(question)) return stopSigningOut(null);
      }
    }
    progress("Signing out…");
    const session = self.tendSync ? await self.tendSync.readSession() : { state: "signed-out" };
    const ended = session.state === "signed-in"
      ? await endServerSession(session).catch(() => false)
      : session.state === "signed-out";
    if (leaving) return undefined; // cut short by leaving the page: the next page finishes it
    progress("Clearing this device…");
    await clearDevice();
    if (!ended) return clearedWhileOffline();
    localStorage.removeItem(SIGNING_OUT);
    location.replace("/login");
    return undefined;
  })().catch(() => stopSigningOut("Signing out did not finish. Please try again in a moment."))
    .finally(() => { signingOut = null; });
  return signingOut;
}

/** Tend could not be reached to end the session: this device is cleared already (the sign-out
 * stays asked for, so it finishes with the next connection). Say so, in place of the page. */
function clearedWhileOffline() {
  const main = document.getElementById("main");
  const section = titled("section", "card signed-out-offline", "h1",
    "signed-out-offline-heading", "This device is cleared");
  const gone = document.createElement("p");
  gone.textContent = "Your drafts, recordings waiting to sync, the pages Tend kept for offline use and the offline copy of your safety plan are gone from this device.";
  const later = document.createElement("p");
  later.textContent = "Tend could not be reached, so your sign-in ends the moment there is a connection again, here or the next time Tend opens. You can also end it from another device, under Account, Signed-in devices.";
  section.append(gone, later);
  page.stopRetrying(); // nothing is left to send
  document.getElementById("messages")?.replaceChildren(); // "kept on this device" is no more
  main?.replaceChildren(section);
  document.querySelector("nav.tabs")?.setAttribute("hidden", "");
  document.getElementById("tend-signing-out")?.close();
  main?.focus();
  // The network is back: end the session now.
  window.addEventListener("online", () => { signOut(); }, { once: true });
}

/** A sign-out the person asked for on an earlier page, left before it finished. */
export async function finishSignOut(account) {
  const asked = localStorage.getItem(SIGNING_OUT);
  if (!asked) return false;
  if (!account) {
    // The session has ended on the server; only this device was left to clear.
    progress("Clearing this device…");
    await clearDevice().catch(() => {});
    stopSigningOut(null);
    return true;
  }
  if (asked !== account && asked !== "this-device") {
    localStorage.removeItem(SIGNING_OUT); // someone else's, long ago
    return false;
  }
  signOut();
  return true;
}

/** Remove drafts, the service worker's caches and the worker itself from this device. */
export async function clearDevice() {
  document.dispatchEvent(new CustomEvent("tend:clearing"));
  if (self.tendDrafts) await self.tendDrafts.clearAll();
  if (self.tendMedia) await self.tendMedia.clearAll();
  // The worker still serving this page keeps nothing more, then goes; then its caches.
  navigator.serviceWorker?.controller?.postMessage({ type: "forget" });
  const registrations = (await navigator.serviceWorker?.getRegistrations()) || [];
  await Promise.all(registrations.map((r) => r.unregister()));
  if (self.caches) {
    for (const name of await caches.keys()) {
      if (name.startsWith("tend-")) await caches.delete(name);
    }
  }
  for (const key of ["tend-version", "tend-keep-plan"]) localStorage.removeItem(key);
}
