// Integration pages: print buttons, the device's timezone in settings, and Today's prompt.
// Loaded only by the pages that have one of these (Today, settings, the printable pages).

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}

// Offer the device's timezone when it differs from the one saved.
const field = document.querySelector("input[data-timezone-field]");
const useDevice = document.querySelector("[data-use-browser-timezone]");
if (field && useDevice) {
  let detected = "";
  try {
    detected = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    detected = "";
  }
  if (detected && detected !== field.value) {
    useDevice.textContent = `Use this device’s timezone (${detected})`;
    useDevice.hidden = false;
    useDevice.addEventListener("click", () => {
      field.value = detected;
      useDevice.hidden = true;
      field.focus();
    });
  }
}

// When Today's prompt card is swapped, move focus to the new card so the change is heard.
document.body.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target?.id !== "today-prompt") return;
  const card = document.getElementById("today-prompt");
  const heading = document.getElementById("prompt-text") || card;
  heading?.focus();
});
