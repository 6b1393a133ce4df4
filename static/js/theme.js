// Light, dark or like the device: applied before the page is drawn, so it never flashes.
// A classic, blocking script on purpose (the CSP allows no inline script). Signed-in pages
// carry the person's choice in <html data-theme>; this device remembers it for the pages
// that cannot know who is reading (the offline shell, signing in).
(function () {
  "use strict";
  var KEY = "tend-theme";
  var COLOURS = { light: "#f6f4ee", dark: "#141917" };
  var root = document.documentElement;
  var chosen = root.getAttribute("data-theme");
  try {
    if (chosen) localStorage.setItem(KEY, chosen);
    else chosen = localStorage.getItem(KEY);
  } catch (error) {
    chosen = chosen || null; // storage may be off; the device's own setting applies
  }
  if (chosen === "light" || chosen === "dark" || chosen === "system") {
    root.setAttribute("data-theme", chosen);
  }

  /** The browser's bar follows a manual choice too, once the page's meta tags exist. */
  function paintBar() {
    var theme = root.getAttribute("data-theme");
    var page = root.getAttribute("data-page-theme");
    if (theme !== "light" && theme !== "dark") theme = page; // a page dark by default
    if (!COLOURS[theme]) return;
    var metas = document.querySelectorAll('meta[name="theme-color"]');
    for (var i = 0; i < metas.length; i += 1) metas[i].setAttribute("content", COLOURS[theme]);
  }
  document.addEventListener("DOMContentLoaded", paintBar);
  self.tendTheme = {
    /** Switch now and remember it here (the server remembers it for the person). */
    set: function (theme) {
      root.setAttribute("data-theme", theme);
      try { localStorage.setItem(KEY, theme); } catch (error) { /* nothing to remember in */ }
      paintBar();
    },
  };
})();
