// Gentle capture (/capture). Every tap is kept on this device at once (IndexedDB, offline
// too) as a draft like any other; "Save" sends it to the journal, where it becomes an entry
// with its journey and phase (docs/sync.md: "feelings" and "body_map"). A voice note recorded
// here (recording.js) waits in the device's media store and follows the draft home
// (media-sync.js, docs/media.md). Today's one-tap check-in is in integration.js.
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
  return store.fresh(account, { kind: "capture", ready: false, ...fields });
}

/** Send saved drafts now (pwa.js does the work and reports back with "tend:synced"). */
function syncSoon() {
  document.dispatchEvent(new CustomEvent("tend:draft-saved"));
  document.dispatchEvent(new CustomEvent("tend:sync-now"));
}

// --- Capture's voice slot: one big tap to record, one to stop -------------------------------

/** The voice note of the capture being written: recorded on the device, linked to the draft
 * by its id (``capture: true, entry_id``) and sent only once the capture is saved. */
function voiceSlot(slot, { draftId, changed }) {
  const media = self.tendMedia;
  const rec = self.tendRecording;
  const toggle = slot.querySelector("[data-voice-toggle]");
  const label = slot.querySelector("[data-voice-label]");
  const time = slot.querySelector("[data-voice-time]");
  const elapsed = slot.querySelector("#voice-elapsed");
  const kept = slot.querySelector("[data-voice-kept]");
  const preview = slot.querySelector("[data-voice-preview]");
  const problem = slot.querySelector("[data-voice-problem]");
  const maxSeconds = Number(slot.dataset.maxSeconds) || 1800;
  let account = null;
  let memo = null; // the stored item, once stopped
  let recording = null; // the live recording
  let previewUrl = null;

  function showProblem(text) {
    problem.textContent = text || "";
    problem.hidden = !text;
  }

  async function render() {
    toggle.setAttribute("aria-pressed", String(Boolean(recording)));
    label.textContent = recording ? "Stop" : "Record";
    toggle.hidden = Boolean(memo) && !recording;
    time.hidden = !recording && !memo;
    kept.hidden = !memo || Boolean(recording);
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    if (memo && !recording) {
      previewUrl = URL.createObjectURL(await media.blob(memo.id, memo.mime));
      preview.src = previewUrl;
      elapsed.textContent = rec.clock(memo.duration_ms || 0);
    } else {
      preview.removeAttribute("src");
    }
  }

  async function start() {
    showProblem("");
    const id = await draftId(); // the capture's draft, made now if this is its first mark
    if (!id) return; // the device could not keep it: capture has said so
    try {
      recording = await rec.startRecording({
        account, maxSeconds,
        fields: { entry_id: id, capture: true },
        onTick: ({ ms }) => { elapsed.textContent = rec.clock(ms); },
        onLimit: () => stop(),
        onProblem: showProblem,
        onError: () => stop(),
      });
    } catch (error) {
      showProblem(error instanceof rec.RecordingProblem ? error.message : "Recording is not possible in this browser just now.");
      return;
    }
    elapsed.textContent = "0:00";
    await render();
    changed("Recording… it is kept on this device as you speak.");
  }

  async function stop() {
    if (!recording) return;
    const current = recording;
    const item = await current.stop();
    if (recording !== current) return;
    recording = null;
    memo = item || null;
    await render();
    changed(memo ? "Voice note kept on this device" : "");
  }

  async function forget() {
    if (recording) await stop();
    if (memo) await media.remove(memo.id);
    memo = null;
    await render();
  }

  toggle.addEventListener("click", () => (recording ? stop() : start()));
  slot.querySelector("[data-voice-again]").addEventListener("click", async () => {
    if (!window.confirm("Record a new voice note in place of this one?")) return;
    await forget();
    await start();
  });
  slot.querySelector("[data-voice-discard]").addEventListener("click", async () => {
    if (!window.confirm("Delete this voice note from this device?")) return;
    await forget();
    changed("Voice note deleted");
    toggle.focus();
  });
  window.addEventListener("pagehide", () => recording?.flush());
  document.addEventListener("tend:clearing", () => { recording?.stop(); recording = null; memo = null; });

  return {
    get memo() { return memo; },
    get recording() { return Boolean(recording); },
    stop,
    /** The voice note left unsaved with this draft (the app was closed midway), if any. */
    async restore(who, id) {
      account = who;
      memo = null;
      if (id && media) {
        const mine = (await media.forAccount(account))
          .filter((item) => item.capture && item.entry_id === id && item.state !== "ready" && item.state !== "rejected");
        memo = mine[0] || null;
        if (memo && memo.state === "recording") { // interrupted: what was kept is kept
          memo = await media.update(memo.id, (item) => item && { ...item, state: "stopped" });
        }
      }
      await render();
    },
    /** Saving: the note travels after its draft, attached to its entry, or as the entry
     * itself when there are no feelings, marks or words to send. */
    async send({ withDraft, id, writtenAt }) {
      if (recording) await stop();
      if (!memo) return null;
      const sent = memo.id;
      await media.update(sent, (item) => item && (withDraft
        ? { ...item, state: "ready", entry_id: id, error: null }
        : { ...item, state: "ready", entry_id: null, error: null,
            entry: { entry_id: id, title: null, note: null, mood: null, prompt: null,
                     journey_id: null, client_updated_at: writtenAt } }));
      memo = null;
      await render();
      return sent;
    },
  };
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
  let sent = null; // what "Save" sent: the draft's id and the voice note's, if any

  const hasWords = () => Boolean(draft && (draft.feelings.length || draft.body_map.length || draft.body.trim()));
  const hasSomething = () => hasWords() || Boolean(voice.memo || voice.recording);

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

  const voice = voiceSlot(document.getElementById("voice-slot"), {
    draftId: async () => {
      if (!draft) await keep(() => ({}));
      else await saving;
      return draft ? draft.id : null;
    },
    changed: (text) => {
      status.textContent = text || (hasSomething() ? "Kept on this device" : "");
      save.disabled = !hasSomething();
    },
  });

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
    if (voice.recording) await voice.stop();
    if (!hasSomething()) return;
    const withDraft = hasWords();
    if (withDraft) await keep(() => ({ ready: true }));
    const id = draft.id;
    const memoId = await voice.send({ withDraft, id, writtenAt: draft.created_on_device });
    if (!withDraft) { // only a voice note: it becomes the entry itself, under the draft's id
      saving = saving.then(() => store.remove(id));
      await saving;
    }
    sent = { draftId: withDraft ? id : null, memoId };
    finishing = true;
    status.textContent = "Saving…";
    syncSoon();
  });

  document.addEventListener("tend:synced", async (event) => {
    if (!finishing || !sent) return;
    const summary = event.detail || {};
    const stillHere = sent.draftId ? await store.get(sent.draftId) : null;
    const memoHere = sent.memoId ? await self.tendMedia.get(sent.memoId) : null;
    const memoRefused = memoHere && memoHere.state === "rejected" ? memoHere.error : null;
    const waiting = (stillHere && !stillHere.rejected) || (memoHere && !memoRefused);
    // A sync that started before "Save" did not carry it: the next one will.
    if (waiting && summary.state === "signed-in") return;
    if (stillHere && stillHere.rejected) {
      status.textContent = `It could not be saved: ${stillHere.rejected}`;
      finishing = false;
      return;
    }
    finishing = false;
    const text = memoRefused ? (sent.draftId && !stillHere
      ? `It is in your journal, but the voice note could not be added: ${memoRefused}`
      : `The voice note could not be saved: ${memoRefused}`)
      : !waiting ? "It is in your journal."
      : summary.state === "signed-out" ? "It is kept on this device and goes to your journal once you sign in."
      : "It is kept on this device and goes to your journal when there is a connection.";
    sent = null;
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
    await voice.restore(account, draft ? draft.id : null);
    render();
    if (hasSomething()) status.textContent = "Kept on this device";
    form.hidden = false;
  }

  start();
}

const captureForm = document.getElementById("capture-form");
if (captureForm && store) capturePage(captureForm);
