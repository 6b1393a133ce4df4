// Small progressive enhancements; every page works without this file.

// htmx lets forms and links answer in place. Each of them is a plain form or link too, so
// htmx comes only to pages that have one, and on a first visit only once it is wanted: at
// once when Tend's service worker is here already (htmx then comes from the device), else
// when the person reaches for such a control (a tap, a focus) or once the visit has settled
// and the worker keeps the rest of Tend (pwa.js says "tend:settled"). A control used before
// htmx has come waits for it, then goes on as htmx sends it; if htmx cannot come, the
// control goes as a plain form or link, or with no connection at all says so as htmx does.
const HTMX_CONTROLS = "[hx-get], [hx-post], [hx-put], [hx-patch], [hx-delete]";
const HTMX_PATIENCE_MS = 4000; // like a page on one bar of signal (sw.js)
const htmxUrl = document.querySelector('meta[name="tend-htmx"]')?.content;
let htmxComing = null;

function pageLoaded() {
  if (document.readyState === "complete") return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
}

/** htmx, once: true when it runs (it reads the page as it starts), false if it cannot come. */
function loadHtmx() {
  if (window.htmx) return Promise.resolve(true);
  if (!htmxUrl) return Promise.resolve(false);
  // htmx starts on DOMContentLoaded, or at once when the page has loaded: never in between.
  htmxComing ||= pageLoaded().then(() => new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = htmxUrl;
    script.onload = () => resolve(Boolean(window.htmx));
    script.onerror = () => {
      script.remove();
      htmxComing = null; // the next use asks again
      resolve(false);
    };
    document.head.append(script);
  }));
  return htmxComing;
}

const waitingForHtmx = new WeakSet();
const sentPlainly = new WeakSet();

function sendAgain(control, submitter) {
  if (control instanceof HTMLFormElement) {
    control.requestSubmit(submitter && submitter.form === control ? submitter : null);
  } else {
    control.click();
  }
}

/** A control used before htmx is here: held until htmx has come, then sent again. */
function holdUntilHtmx(event) {
  if (window.htmx || !htmxUrl || !(event.target instanceof Element)) return;
  const control = event.type === "submit" ? event.target : event.target.closest(HTMX_CONTROLS);
  if (!control || !control.matches(HTMX_CONTROLS)) return;
  if (event.type === "click") {
    // A click inside a form is the form's to send (its submit event follows); a link opened
    // in a new tab or window is the browser's.
    if (!control.matches("a, button") || event.ctrlKey || event.metaKey || event.shiftKey) return;
  }
  if (sentPlainly.delete(control)) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  if (waitingForHtmx.has(control)) return; // tapped again meanwhile
  waitingForHtmx.add(control);
  const submitter = event.submitter;
  const patience = new Promise((resolve) => setTimeout(() => resolve(false), HTMX_PATIENCE_MS));
  Promise.race([loadHtmx(), patience]).then((ready) => {
    waitingForHtmx.delete(control);
    if (!control.isConnected) return;
    if (!ready && !navigator.onLine) {
      // As htmx says when a request cannot go: the words stay, drafts are kept (pwa.js).
      control.dispatchEvent(new CustomEvent("htmx:sendError", { bubbles: true, detail: { elt: control } }));
      return;
    }
    if (!ready) sentPlainly.add(control);
    sendAgain(control, submitter);
  });
}

document.addEventListener("submit", holdUntilHtmx, true);
document.addEventListener("click", holdUntilHtmx, true);

if (htmxUrl && document.querySelector(HTMX_CONTROLS)) {
  if (!("serviceWorker" in navigator) || navigator.serviceWorker.controller) {
    loadHtmx();
  } else {
    const reachedFor = (event) => {
      if (event.target instanceof Element && event.target.closest(HTMX_CONTROLS)) loadHtmx();
    };
    document.addEventListener("pointerdown", reachedFor, { capture: true, passive: true });
    document.addEventListener("focusin", reachedFor, true);
    document.addEventListener("tend:settled", loadHtmx, { once: true });
  }
}

// Fill in the browser's timezone on forms that ask for it (registration).
for (const input of document.querySelectorAll("input[data-detect-timezone]")) {
  if (!input.value) {
    try {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch {
      // Leave it empty: the server falls back to UTC.
    }
  }
}

// After a new entry is saved, clear the form for the next one and keep the focus there.
document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-reset-on-success")) return;
  if (!event.detail.successful) return;
  form.reset();
  const details = form.querySelector("details");
  if (details) details.open = false;
  form.querySelector("textarea")?.focus();
});

// When Tend cannot be reached, say so kindly; whatever was typed stays on the screen.
document.body.addEventListener("htmx:sendError", () => {
  const messages = document.getElementById("messages");
  if (!messages) return;
  const notice = document.createElement("div");
  notice.className = "notice notice-error";
  notice.setAttribute("role", "alert");
  notice.textContent =
    "Tend couldn't be reached just now. Your words are still here; try again in a moment.";
  messages.replaceChildren(notice);
});

// Clear an old message when a request succeeds, so notices never pile up.
document.body.addEventListener("htmx:beforeRequest", () => {
  const messages = document.getElementById("messages");
  if (messages) messages.querySelectorAll(".notice-error").forEach((n) => n.remove());
});

// Move focus into an inline editor when it appears, for keyboard and screen-reader users.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target instanceof HTMLElement && target.classList.contains("editing")) {
    target.querySelector("textarea")?.focus();
  }
});

// A reminder was tapped while Tend was open: the service worker asks this page to go there.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.type !== "tend:open" || typeof message.url !== "string") return;
    const target = new URL(message.url, window.location.href);
    if (target.origin === window.location.origin) window.location.assign(target.href);
  });
  navigator.serviceWorker.startMessages();
}

// Keep the app lock's setting on the device (no text, just minutes), so the offline editor
// can honour the lock when Tend cannot be reached.
if (!document.body.hasAttribute("data-shell")) {
  const lockSetting = document.querySelector('meta[name="tend-lock-after"]');
  if (lockSetting) {
    localStorage.setItem("tend-lock-after", lockSetting.content);
  } else {
    localStorage.removeItem("tend-lock-after");
    localStorage.removeItem("tend-locked");
  }
}

// Near an entry's limit, say how much room is left (the server refuses longer entries).
const COUNT_FROM = 0.9;

function updateCounter(field) {
  const max = Number(field.dataset.max);
  if (!max) return;
  const id = `${field.id}-count`;
  let counter = document.getElementById(id);
  const length = field.value.length;
  if (length < max * COUNT_FROM) {
    counter?.remove();
    return;
  }
  if (!counter) {
    counter = document.createElement("p");
    counter.id = id;
    counter.className = "char-count";
    field.after(counter);
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    field.setAttribute("aria-describedby", [...described, id].join(" "));
  }
  const over = length > max;
  counter.dataset.over = over ? "yes" : "no";
  counter.textContent = over
    ? `${length.toLocaleString()} of ${max.toLocaleString()} characters: ${(length - max).toLocaleString()} too many to save. You could split it into two entries.`
    : `${length.toLocaleString()} of ${max.toLocaleString()} characters`;
}

document.addEventListener("input", (event) => {
  if (event.target instanceof HTMLTextAreaElement && event.target.dataset.max) {
    updateCounter(event.target);
  }
});
for (const field of document.querySelectorAll("textarea[data-max]")) updateCounter(field);

// Light or dark: applied at once on this device, and kept for the person by the server.
for (const form of document.querySelectorAll("form[data-theme-form]")) {
  form.querySelector("[data-theme-save]")?.setAttribute("hidden", "");
  form.addEventListener("change", async (event) => {
    if (!(event.target instanceof HTMLInputElement) || event.target.name !== "theme") return;
    self.tendTheme?.set(event.target.value);
    try {
      await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch {
      // Offline: this device keeps the choice; the next save reaches the server.
    }
  });
}
