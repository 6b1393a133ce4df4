// The safety plan, kept on this device only when the person chose it here, so it opens with
// no connection (on the offline Support page). Removed when Tend locks or signs out. Loaded
// by pwa.js where it matters: where a page offers to keep the plan, or someone chose it here.
const { deviceIsLocked } = self.tendDevice; // device.js

const PLAN = "safety-plan";
const OPTED_IN = "tend-keep-plan"; // which account chose it on this device (an id, no text)
const store = self.tendDrafts;
const account = document.body.dataset.account || null;

async function forget() {
  await store?.removeKept(PLAN).catch(() => {});
}

async function refresh() {
  const response = await fetch("/api/safety-plan", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) return false;
  const plan = await response.json();
  await store.setKept(PLAN, { account, ...plan, kept_at: new Date().toISOString() });
  return true;
}

function offerChoice() {
  const box = document.querySelector("[data-keep-plan]");
  if (!box || !account) return;
  const toggle = box.querySelector("[data-keep-plan-toggle]");
  const status = box.querySelector("[data-keep-plan-status]");
  toggle.checked = localStorage.getItem(OPTED_IN) === account;
  box.hidden = false;
  toggle.addEventListener("change", async () => {
    if (toggle.checked) {
      localStorage.setItem(OPTED_IN, account);
      status.textContent = (await refresh().catch(() => false))
        ? "Kept on this device. It opens on the Support page even with no connection."
        : "It could not be kept just now. Please try again with a connection.";
    } else {
      localStorage.removeItem(OPTED_IN);
      await forget();
      status.textContent = "No copy is kept on this device.";
    }
  });
}

function show(plan) {
  const section = document.getElementById("kept-plan");
  if (!section || !plan) return;
  const list = section.querySelector("[data-kept-fields]");
  list.replaceChildren(...plan.fields.filter((f) => f.text).flatMap((field) => {
    const term = document.createElement("dt");
    term.textContent = field.label;
    const text = document.createElement("dd");
    text.className = "entry-body";
    text.dir = "auto";
    text.textContent = field.text;
    return [term, text];
  }));
  section.hidden = list.children.length === 0;
}

async function start() {
  if (!store) return;
  if (deviceIsLocked() || localStorage.getItem("tend-locked") === "1") {
    await forget();
    return;
  }
  offerChoice();
  if (account) {
    if (localStorage.getItem(OPTED_IN) === account) {
      const kept = await store.getKept(PLAN).catch(() => null);
      const stale = !kept || Date.now() - Date.parse(kept.kept_at) > 10 * 60 * 1000;
      if (stale || document.querySelector("[data-keep-plan]")) await refresh().catch(() => {});
    } else {
      await forget(); // chosen by someone else on this device, or not at all
    }
  }
  if (document.getElementById("kept-plan")) {
    const kept = await store.getKept(PLAN).catch(() => null);
    if (kept && localStorage.getItem(OPTED_IN) === kept.account) show(kept);
  }
}

start();
