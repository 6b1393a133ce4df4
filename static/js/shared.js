// The page at a share link. The link's secret is the part after "#", which browsers never
// send to a server: this script hands it over in a form post when the share is opened,
// and takes it out of the address bar so it does not linger on screen.
const form = document.querySelector("[data-open-share]");

if (form) {
  const input = form.elements.namedItem("secret");
  const fromLink = location.hash.slice(1);
  if (fromLink) history.replaceState(null, "", location.pathname + location.search);
  if (!input.value && /^[A-Za-z0-9_-]{43}$/.test(fromLink)) input.value = fromLink;
  if (input.value) {
    form.hidden = false;
    if (form.dataset.auto === "true") {
      const status = form.querySelector("[data-open-status]");
      if (status) status.textContent = status.dataset.opening || "";
      form.submit();
    } else {
      form.querySelector("input:not([type=hidden])")?.focus();
    }
  } else {
    document.querySelector("[data-link-incomplete]").hidden = false;
  }
}

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
