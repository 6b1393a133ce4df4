// What this device knows about its own state, for pages that work without the server.
// A classic script (like drafts.js), so every page has it before its modules run.
(function (scope) {
  "use strict";

  /** With the app lock on and the device away too long (or locked), what is kept on the
   * device stays hidden until Tend is unlocked; writing something new is always possible. */
  function deviceIsLocked() {
    const lockAfter = Number(localStorage.getItem("tend-lock-after") || 0);
    if (!lockAfter) return false;
    const lastSeen = Number(localStorage.getItem("tend-last-seen") || 0);
    const locked = localStorage.getItem("tend-locked") === "1"
      || (lastSeen > 0 && Date.now() - lastSeen >= lockAfter * 1000);
    if (locked) localStorage.setItem("tend-locked", "1");
    return locked;
  }

  /** Remember when Tend was last seen, so a device away too long counts as locked offline. */
  function rememberLastSeen() {
    if (localStorage.getItem("tend-lock-after")) {
      localStorage.setItem("tend-last-seen", String(Date.now()));
    }
  }

  scope.tendDevice = { deviceIsLocked, rememberLastSeen };
})(self);
