// Integration pages: print buttons, the device's timezone in settings, Today's prompt and its
// one-tap check-in. Loaded only by the pages that have one of these (Today, settings, the
// printable pages).

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

// Today's one-tap check-in: the feeling tapped is kept on this device at once (IndexedDB,
// offline too) as a saved draft, then sent to the journal like any other (pwa.js syncs it).
// Without a device store the form posts itself.
const store = self.tendDrafts;

function checkIn(form) {
  const status = document.querySelector("[data-check-in-status]");
  form.addEventListener("submit", async (event) => {
    const feeling = event.submitter?.value;
    const account = document.body.dataset.account;
    if (!feeling || !account || form.dataset.plain) return; // the plain form posts it
    event.preventDefault();
    const button = event.submitter;
    try {
      await store.put(store.fresh(account, {
        kind: "check-in", feelings: [{ feeling, intensity: null }], ready: true,
      }));
    } catch {
      form.dataset.plain = "yes"; // the device cannot keep it: the server takes it
      form.requestSubmit(button);
      return;
    }
    for (const other of form.querySelectorAll("button")) other.removeAttribute("aria-pressed");
    button.setAttribute("aria-pressed", "true");
    status.textContent = `Noted: ${button.textContent.trim().toLowerCase()}.`;
    document.dispatchEvent(new CustomEvent("tend:draft-saved"));
    document.dispatchEvent(new CustomEvent("tend:sync-now"));
  }, { capture: true });
}

const checkInForm = document.querySelector("form[data-check-in]");
if (checkInForm && store) checkIn(checkInForm);
