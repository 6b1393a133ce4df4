// Small progressive enhancements; every page works without this file.

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
