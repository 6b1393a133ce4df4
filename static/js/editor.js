// The offline-first editor (/write): every change is kept on this device within a second,
// online or not, as a draft. A draft stays on this device until the person presses "Save
// entry"; then it goes to the journal (at once, or when Tend can be reached). The same model
// as the journal's own form, online and offline (docs/sync.md). The page itself holds no
// journal text; drafts come from the device's own store and belong to the account that
// wrote them.
const { deviceIsLocked, rememberLastSeen } = self.tendDevice; // device.js

const SAVE_DELAY_MS = 400; // after a pause in typing...
const MAX_DELAY_MS = 1000; // ...and never more than a second behind, even mid-sentence
const form = document.getElementById("draft-editor");
const statusLine = document.getElementById("draft-status");
const signIn = document.getElementById("sync-signin");
const unavailable = document.getElementById("editor-unavailable");
const waiting = document.getElementById("waiting");
const waitingList = document.getElementById("waiting-list");
const unsaved = document.getElementById("unsaved");
const unsavedList = document.getElementById("unsaved-list");
const DRAFT_KEPT = "Draft kept on this device";
const store = self.tendDrafts;

let account = null;
let current = null; // the draft being written, as last saved
let saveTimer = null;
let pendingSince = 0;
let saving = Promise.resolve();
let closed = false; // the device is being cleared (signing out): keep nothing more
let finishing = false; // "Save entry" pressed: start a fresh page once this one is home

function setStatus(text, state) {
  // Unchanged words are not set again, so screen readers are not told twice.
  if (statusLine.textContent !== text) statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function fieldsFromForm() {
  const mood = form.elements.mood.value;
  return {
    title: form.elements.title.value,
    body: form.elements.body.value,
    mood: mood ? Number(mood) : null,
  };
}

function fillForm(draft) {
  form.elements.body.value = draft ? draft.body || "" : "";
  form.elements.title.value = draft ? draft.title || "" : "";
  const mood = draft && draft.mood ? String(draft.mood) : "";
  for (const radio of form.querySelectorAll('input[name="mood"]')) radio.checked = radio.value === mood;
  form.querySelector("details").open = Boolean(draft && (draft.title || draft.mood));
}

/** Keep what is in the form on this device. */
function saveNow() {
  clearTimeout(saveTimer);
  saveTimer = null;
  saving = saving.then(async () => {
    if (closed) return;
    const fields = fieldsFromForm();
    if (!current && !fields.body.trim() && !fields.title.trim()) return;
    if (current && ["title", "body", "mood"].every((k) => current[k] === fields[k])) {
      return; // nothing new to keep (an entry just synced stays as it is)
    }
    const now = new Date().toISOString();
    const base = current || {
      id: store.newId(), account, base_version: null, prompt: null, journey_id: null,
      deleted: false, revision: 0, created_on_device: now, ready: false,
    };
    // Changes to an entry already in the journal are a draft again until saved.
    const ready = base.synced ? false : base.ready;
    current = { ...base, ...fields, revision: (base.revision || 0) + 1, client_updated_at: now,
                account: base.account || account, rejected: null, synced: false, ready };
    await store.put(current);
    setStatus(describe(current), "saved");
    if (ready !== false) document.dispatchEvent(new CustomEvent("tend:draft-saved"));
    updateUrl();
    await renderWaiting();
  }).catch(() => setStatus("This device could not keep the draft. Please copy your words somewhere safe.", "error"));
  return saving;
}

function scheduleSave() {
  const now = Date.now();
  if (!saveTimer) pendingSince = now;
  clearTimeout(saveTimer);
  const wait = Math.max(0, Math.min(SAVE_DELAY_MS, pendingSince + MAX_DELAY_MS - now));
  saveTimer = setTimeout(saveNow, wait);
}

function updateUrl() {
  const url = new URL(location.href);
  if (current && !current.synced) url.searchParams.set("draft", current.id);
  else url.searchParams.delete("draft");
  history.replaceState(null, "", url);
}

function draftItem(draft, note) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.dir = "auto";
  const firstLine = (draft.title || draft.body || "").trim().split("\n")[0];
  link.textContent = firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine
    || (draft.kind ? "Feelings and the body" : "Untitled");
  if (draft.kind === "capture" && !self.tendSync.isSaved(draft)) {
    link.href = `/capture?draft=${encodeURIComponent(draft.id)}`; // it opens where it was begun
  } else {
    link.href = `/write?draft=${encodeURIComponent(draft.id)}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      openDraft(draft.id);
    });
  }
  const says = document.createElement("span");
  says.className = "muted";
  says.textContent = draft.rejected ? ` Not synced: ${draft.rejected}` : note;
  item.append(link, says);
  if (current && draft.id === current.id) item.setAttribute("aria-current", "true");
  return item;
}

async function renderWaiting() {
  const lockedNote = document.getElementById("locked-drafts");
  if (deviceIsLocked()) {
    waitingList.replaceChildren();
    unsavedList.replaceChildren();
    waiting.hidden = true;
    unsaved.hidden = true;
    lockedNote.hidden = false;
    return;
  }
  lockedNote.hidden = true;
  const drafts = (await store.forAccount(account))
    .sort((a, b) => (b.client_updated_at || "").localeCompare(a.client_updated_at || ""));
  const saved = drafts.filter(self.tendSync.isSaved);
  const notYet = drafts.filter((draft) => !self.tendSync.isSaved(draft));
  waitingList.replaceChildren(...saved.map((draft) => draftItem(draft, " Waiting to sync")));
  unsavedList.replaceChildren(...notYet.map((draft) => draftItem(draft, " Not saved yet")));
  waiting.hidden = saved.length === 0;
  unsaved.hidden = notYet.length === 0;
  const others = (await store.all()).filter((draft) => draft.account !== account).length;
  const note = document.getElementById("other-account-drafts");
  note.hidden = others === 0;
  note.textContent = others === 1
    ? "One draft on this device was written under another account. It stays here, unsent, until that account signs in."
    : `${others} drafts on this device were written under another account. They stay here, unsent, until that account signs in.`;
}

async function openDraft(id) {
  if (id && deviceIsLocked()) return;
  await saveNow();
  const draft = id ? await store.get(id) : null;
  current = draft && draft.account === account ? draft : null;
  fillForm(current);
  updateUrl();
  setStatus(current ? describe(current) : "", current ? "saved" : "empty");
  await renderWaiting();
  form.elements.body.focus();
}

/** Let go of the open draft, after asking: it has not reached the journal. */
async function discardDraft() {
  await saveNow();
  if (!current || current.synced) {
    await openDraft(null);
    return;
  }
  const question = current.base_version
    ? "Discard the changes made on this device? The entry in your journal stays as it is."
    : "Delete this draft from this device? It has not reached your journal.";
  if (!window.confirm(question)) return;
  await store.remove(current.id);
  current = null;
  fillForm(null);
  updateUrl();
  setStatus("Draft discarded", "empty");
  await renderWaiting();
}

function describe(draft) {
  if (draft.rejected) return `Not synced: ${draft.rejected}`;
  return draft.ready === false ? DRAFT_KEPT : "Saved · waiting to sync";
}

/** "Save entry": the draft is meant for the journal now; it syncs at once or later. */
async function syncCurrent() {
  await saveNow();
  if (!current) return;
  if (current.ready === false) {
    current = { ...current, ready: true, revision: current.revision + 1 };
    await store.put(current);
    document.dispatchEvent(new CustomEvent("tend:draft-saved"));
  }
  finishing = true;
  setStatus("Syncing…", "syncing");
  document.dispatchEvent(new CustomEvent("tend:sync-now"));
}

/** Show what a sync did to the open draft. Once home, it is no longer on the device; the
 * editor keeps its text and version, so further changes (saved again) update the entry. */
async function afterSync(summary) {
  if (!summary) return;
  if (summary.state === "signed-out") signIn.hidden = false;
  if (summary.state === "signed-in") signIn.hidden = true;
  if (current) {
    const stored = await store.get(current.id);
    const moved = summary.moved && summary.moved[current.id];
    const result = (summary.synced || []).find((r) => r.id === current.id);
    if (stored) {
      current = stored;
    } else if (moved) {
      current = (await store.get(moved)) || { ...current, id: moved, base_version: 1, synced: true };
    } else if (result) {
      current = { ...current, base_version: result.version, synced: true };
    }
    if (current.synced) {
      setStatus("Saved to your journal", "synced");
      if (finishing) {
        current = null;
        fillForm(null);
      }
      updateUrl();
    } else if (current.rejected) {
      setStatus(`Not synced: ${current.rejected}`, "rejected");
    } else if (current.ready !== false) {
      const later = summary.state === "signed-out" ? "Sign in to sync." : "It will sync when Tend can be reached.";
      setStatus(finishing ? `Saved on this device. ${later}` : describe(current), "saved");
      if (finishing) {
        // Safe on the device and listed under "Waiting to sync": make room for the next one.
        current = null;
        fillForm(null);
        updateUrl();
      }
    }
  }
  finishing = false;
  await renderWaiting();
}

async function whoIsWriting() {
  const session = await self.tendSync.readSession();
  if (session.state === "signed-in") return { id: session.user_id, online: true };
  const known = await store.getMeta("account");
  if (session.state === "signed-out") signIn.hidden = false;
  return known ? { id: known.id, online: false } : null;
}

function listen() {
  form.addEventListener("input", scheduleSave);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.elements.body.value.trim()) {
      setStatus("There is nothing written yet. A single word is enough.", "error");
      form.elements.body.focus();
      return;
    }
    syncCurrent();
  });
  form.querySelector("[data-new-draft]").addEventListener("click", () => openDraft(null));
  form.querySelector("[data-discard-draft]").addEventListener("click", discardDraft);
  // Leaving the page or the app: keep the last keystrokes.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      if (saveTimer) saveNow();
      rememberLastSeen();
    } else if (account) {
      renderWaiting(); // back after a while: the lock may apply now
    }
  });
  window.addEventListener("pagehide", () => { if (saveTimer) saveNow(); });
  document.addEventListener("tend:syncing", () => {
    if (current) setStatus("Syncing…", "syncing");
  });
  document.addEventListener("tend:synced", (event) => {
    if (account) afterSync(event.detail);
  });
  document.addEventListener("tend:clearing", () => {
    closed = true;
    clearTimeout(saveTimer);
  });
}

async function start() {
  listen();
  const who = await whoIsWriting();
  if (!who) {
    unavailable.hidden = false;
    return;
  }
  account = who.id;
  const requested = new URL(location.href).searchParams.get("draft");
  if (requested && !deviceIsLocked()) {
    const draft = await store.get(requested);
    if (draft && draft.account === account) {
      current = draft;
      fillForm(draft);
      setStatus(describe(draft), "saved");
    }
  }
  updateUrl();
  await renderWaiting();
  form.hidden = false; // only now: everything typed from here on is kept
}

start();
