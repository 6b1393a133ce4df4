// App lock: when Tend comes back after the chosen minutes away, hide the page and ask for
// the PIN. The server enforces the lock too; this only makes it immediate.
const setting = document.querySelector('meta[name="tend-lock-after"]');
const csrf = document.querySelector('meta[name="csrf-token"]');
const HIDDEN_AT = "tend-hidden-at";

if (setting && csrf) {
  const lockAfterMs = Number(setting.content) * 1000;
  // The device remembers whether it is locked, for the offline editor (see editor.js).
  if (location.pathname === "/unlock") localStorage.setItem("tend-locked", "1");
  else localStorage.removeItem("tend-locked");

  const lockNow = async () => {
    document.documentElement.classList.add("is-locking");
    localStorage.setItem("tend-locked", "1");
    // A safety plan kept for offline use is personal: it goes when the device locks.
    await self.tendDrafts?.removeKept("safety-plan").catch(() => {});
    try {
      await fetch("/lock", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf.content },
        body: "{}",
      });
    } catch {
      // Offline: the server locks this device by itself when it is next reached.
    }
    const here = location.pathname + location.search;
    location.replace("/unlock?next=" + encodeURIComponent(here));
  };

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      sessionStorage.setItem(HIDDEN_AT, String(Date.now()));
      localStorage.setItem("tend-last-seen", String(Date.now()));
      return;
    }
    const hiddenAt = Number(sessionStorage.getItem(HIDDEN_AT) || 0);
    sessionStorage.removeItem(HIDDEN_AT);
    if (hiddenAt && Date.now() - hiddenAt >= lockAfterMs) lockNow();
  });
}
