// Gentle capture (/capture) and Today's one-tap check-in. Every tap is kept on this device at
// once (IndexedDB, offline too) as a draft like any other; "Save" (or the check-in's one tap)
// sends it to the journal, where it becomes an entry with its journey and phase
// (docs/sync.md: "feelings" and "body_map").
const { deviceIsLocked } = self.tendDevice; // device.js

const store = self.tendDrafts;
const INTENSITY_WORDS = { 1: "A little", 2: "Quite", 3: "Very" };

async function whoIsHere() {
  const account = document.body.dataset.account;
  if (account) return account;
  const session = await self.tendSync.readSession();
  if (session.state === "signed-in") return session.user_id;
  const known = await store.getMeta("account");
  return known ? known.id : null;
}

function newDraft(account, fields) {
  const now = new Date().toISOString();
  return {
    id: store.newId(), account, base_version: null, title: null, body: "", mood: null,
    prompt: null, journey_id: null, deleted: false, kind: "capture", feelings: [], body_map: [],
    revision: 1, client_updated_at: now, created_on_device: now, rejected: null, ready: false,
    ...fields,
  };
}

/** Send saved drafts now (pwa.js does the work and reports back with "tend:synced"). */
function syncSoon() {
  document.dispatchEvent(new CustomEvent("tend:draft-saved"));
  document.dispatchEvent(new CustomEvent("tend:sync-now"));
}

// --- Today: one tap --------------------------------------------------------------------------

function checkIn(form) {
  const status = document.querySelector("[data-check-in-status]");
  form.addEventListener("submit", async (event) => {
    const feeling = event.submitter?.value;
    const account = document.body.dataset.account;
    if (!feeling || !account || form.dataset.plain) return; // the plain form posts it
    event.preventDefault();
    const button = event.submitter;
    try {
      await store.put(newDraft(account, {
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
    syncSoon();
  }, { capture: true });
}

// --- Capture ----------------------------------------------------------------------------------

function capturePage(form) {
  const save = document.getElementById("capture-save");
  const status = document.getElementById("capture-status");
  const done = document.getElementById("capture-done");
  const chosen = document.getElementById("chosen-feelings");
  const intensityList = document.getElementById("intensity-list");
  const qualities = document.getElementById("qualities");
  const legend = document.getElementById("qualities-legend");
  const marked = document.getElementById("marked-regions");
  const line = document.getElementById("capture-line");
  const regionName = (key) => form.querySelector(`[data-region="${key}"]`)?.getAttribute("aria-label") || key;
  const feelingWord = (key) => form.querySelector(`input[name="feeling"][value="${key}"]`)?.nextElementSibling.textContent || key;
  const qualityWord = (key) => form.querySelector(`input[name="quality"][value="${key}"]`)?.nextElementSibling.textContent || key;

  let account = null;
  let draft = null;
  let focusRegion = null; // the region whose qualities are being chosen
  let saving = Promise.resolve();
  let finishing = false;

  const hasSomething = () => draft && (draft.feelings.length || draft.body_map.length || draft.body.trim());

  function keep(change) {
    saving = saving.then(async () => {
      const base = draft || newDraft(account, {});
      draft = { ...base, ...change(base), revision: base.revision + 1,
                client_updated_at: new Date().toISOString() };
      await store.put(draft);
      status.textContent = hasSomething() ? "Kept on this device" : "";
      save.disabled = !hasSomething();
      const url = new URL(location.href);
      url.searchParams.set("draft", draft.id);
      history.replaceState(null, "", url);
    }).catch(() => {
      status.textContent = "This device could not keep it just now.";
    });
    return saving;
  }

  function renderFeelings() {
    const feelings = draft ? draft.feelings : [];
    for (const box of form.querySelectorAll('input[name="feeling"]')) {
      box.checked = feelings.some((f) => f.feeling === box.value);
    }
    for (const family of form.querySelectorAll("[data-family]")) {
      const count = family.querySelectorAll('input[name="feeling"]:checked').length;
      family.querySelector("[data-family-count]").textContent = count ? ` · ${count}` : "";
    }
    intensityList.replaceChildren(...feelings.map((item) => {
      const row = document.createElement("li");
      row.className = "intensity-row";
      const group = document.createElement("div");
      group.setAttribute("role", "group");
      const name = document.createElement("span");
      name.className = "intensity-name";
      name.id = `intensity-${item.feeling}`;
      name.textContent = feelingWord(item.feeling);
      group.setAttribute("aria-labelledby", name.id);
      for (const [value, word] of Object.entries(INTENSITY_WORDS)) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "intensity-button";
        button.textContent = word;
        button.setAttribute("aria-pressed", String(item.intensity === Number(value)));
        button.addEventListener("click", () => keep((base) => ({
          feelings: base.feelings.map((f) => f.feeling !== item.feeling ? f
            : { ...f, intensity: f.intensity === Number(value) ? null : Number(value) }),
        })).then(renderFeelings));
        group.append(button);
      }
      row.append(name, group);
      return row;
    }));
    chosen.hidden = feelings.length === 0;
  }

  function renderBody() {
    const marks = draft ? draft.body_map : [];
    for (const region of form.querySelectorAll("[data-region]")) {
      const mark = marks.find((m) => m.region === region.dataset.region);
      region.setAttribute("aria-checked", String(Boolean(mark)));
      region.classList.toggle("is-focus", region.dataset.region === focusRegion);
    }
    const focused = marks.find((m) => m.region === focusRegion);
    qualities.hidden = !focused;
    if (focused) {
      legend.textContent = `What is it like: ${regionName(focusRegion).toLowerCase()}?`;
      for (const box of qualities.querySelectorAll('input[name="quality"]')) {
        box.checked = focused.qualities.includes(box.value);
      }
    }
    marked.replaceChildren(...marks.map((mark) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "marked-button";
      button.textContent = mark.qualities.length
        ? `${regionName(mark.region)}: ${mark.qualities.map(qualityWord).join(", ").toLowerCase()}`
        : regionName(mark.region);
      if (mark.region === focusRegion) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => { focusRegion = mark.region; renderBody(); qualities.scrollIntoView({ block: "nearest" }); });
      item.append(button);
      return item;
    }));
  }

  function render() {
    renderFeelings();
    renderBody();
    line.value = draft ? draft.body : "";
    save.disabled = !hasSomething();
  }

  form.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    if (box.name === "feeling") {
      keep((base) => ({
        feelings: box.checked
          ? [...base.feelings.filter((f) => f.feeling !== box.value), { feeling: box.value, intensity: null }]
          : base.feelings.filter((f) => f.feeling !== box.value),
      })).then(renderFeelings);
    } else if (box.name === "quality" && focusRegion) {
      keep((base) => ({
        body_map: base.body_map.map((m) => m.region !== focusRegion ? m : {
          ...m,
          qualities: box.checked ? [...m.qualities.filter((q) => q !== box.value), box.value]
            : m.qualities.filter((q) => q !== box.value),
        }),
      })).then(renderBody);
    }
  });

  function toggleRegion(region) {
    const key = region.dataset.region;
    const isMarked = region.getAttribute("aria-checked") === "true";
    focusRegion = isMarked ? (focusRegion === key ? null : focusRegion) : key;
    keep((base) => ({
      body_map: isMarked ? base.body_map.filter((m) => m.region !== key)
        : [...base.body_map, { region: key, qualities: [] }],
    })).then(renderBody);
  }

  for (const region of form.querySelectorAll("[data-region]")) {
    region.addEventListener("click", () => toggleRegion(region));
    region.addEventListener("keydown", (event) => {
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        toggleRegion(region);
      }
    });
  }

  for (const button of form.querySelectorAll("[data-show-side]")) {
    button.addEventListener("click", () => {
      for (const other of form.querySelectorAll("[data-show-side]")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      for (const view of form.querySelectorAll("[data-side-view]")) {
        view.hidden = view.dataset.sideView !== button.dataset.showSide;
      }
    });
  }

  let lineTimer = null;
  line.addEventListener("input", () => {
    clearTimeout(lineTimer);
    lineTimer = setTimeout(() => keep(() => ({ body: line.value })), 300);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(lineTimer);
    await keep(() => ({ body: line.value }));
    if (!hasSomething()) return;
    await keep(() => ({ ready: true }));
    finishing = true;
    status.textContent = "Saving…";
    syncSoon();
  });

  document.addEventListener("tend:synced", async (event) => {
    if (!finishing || !draft) return;
    const summary = event.detail || {};
    const stillHere = await store.get(draft.id);
    // A sync that started before "Save" did not carry it: the next one will.
    if (stillHere && !stillHere.rejected && summary.state === "signed-in") return;
    finishing = false;
    const text = !stillHere ? "It is in your journal."
      : stillHere.rejected ? `It could not be saved: ${stillHere.rejected}`
      : summary.state === "signed-out" ? "It is kept on this device and goes to your journal once you sign in."
      : "It is kept on this device and goes to your journal when there is a connection.";
    if (stillHere && stillHere.rejected) {
      status.textContent = text;
      return;
    }
    draft = null;
    focusRegion = null;
    const url = new URL(location.href);
    url.searchParams.delete("draft");
    history.replaceState(null, "", url);
    document.getElementById("capture-done-text").textContent = text;
    form.hidden = true;
    done.hidden = false;
    done.focus();
  });

  done.querySelector("[data-capture-again]").addEventListener("click", () => {
    render();
    status.textContent = "";
    done.hidden = true;
    form.hidden = false;
    for (const family of form.querySelectorAll("details")) family.open = false;
    window.scrollTo(0, 0);
  });

  async function start() {
    account = await whoIsHere();
    if (!account) {
      document.getElementById("capture-unavailable").hidden = false;
      return;
    }
    // Pick up a capture left unsaved (the app was closed midway), unless Tend is locked.
    const asked = new URL(location.href).searchParams.get("draft");
    if (!deviceIsLocked()) {
      const mine = (await store.forAccount(account)).filter((d) => d.kind === "capture" && d.ready === false);
      draft = mine.find((d) => d.id === asked)
        || mine.sort((a, b) => (b.client_updated_at || "").localeCompare(a.client_updated_at || ""))[0]
        || null;
    }
    render();
    if (hasSomething()) status.textContent = "Kept on this device";
    form.hidden = false;
  }

  start();
}

const captureForm = document.getElementById("capture-form");
if (captureForm && store) capturePage(captureForm);
const checkInForm = document.querySelector("form[data-check-in]");
if (checkInForm && store) checkIn(checkInForm);
