// The voice memo recorder (/record). Recording itself is recording.js (shared with capture's
// voice slot): the recording goes to the device's media store every few seconds while it
// records, so little can be lost; a saved memo waits there, playable, until it has reached
// Tend (media-sync.js).

const { startRecording, RecordingProblem, clock } = self.tendRecording; // recording.js
const page = document.getElementById("recorder");
const maxSeconds = Number(page.dataset.maxSeconds) || 1800;
const controls = document.getElementById("recorder-controls");
const buttons = {
  start: document.getElementById("record-start"),
  pause: document.getElementById("record-pause"),
  resume: document.getElementById("record-resume"),
  stop: document.getElementById("record-stop"),
};
const elapsedLabel = document.getElementById("record-elapsed");
const level = document.getElementById("record-level");
const statusLine = document.getElementById("record-status");
const problem = document.getElementById("recorder-problem");
const details = document.getElementById("memo-details");
const preview = document.getElementById("memo-preview");
const waiting = document.getElementById("memos-waiting");
const waitingList = document.getElementById("memos-waiting-list");
const store = self.tendMedia;
const attachTo = new URL(location.href).searchParams.get("entry");
const answering = new URL(location.href).searchParams.get("prompt"); // Today's prompt, aloud

let account = null;
let session = null; // the live recording (recording.js)
let open = null; // the memo shown in the details form
let previewUrl = null;

function say(text) {
  if (statusLine.textContent !== text) statusLine.textContent = text;
}

function showProblem(text) {
  problem.textContent = text;
  problem.hidden = !text;
}

function show(which) {
  for (const [name, button] of Object.entries(buttons)) button.hidden = !which.includes(name);
}

async function checkSpace() {
  try {
    const response = await fetch("/api/media/space", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    const space = await response.json();
    const note = document.getElementById("recorder-space");
    note.hidden = !space.nearly_full;
    note.textContent = space.nearly_full
      ? `Your space for memos and pictures is nearly full: ${(space.available / 1e6).toFixed(1)} MB left. A long memo may not fit; removing older memos or pictures makes room.`
      : "";
  } catch {
    // Offline: the memo waits on the device, and Tend says so if it does not fit.
  }
}

async function start() {
  showProblem("");
  try {
    session = await startRecording({
      account, maxSeconds,
      fields: { entry_id: attachTo || null, prompt: answering || null },
      onTick: ({ level: value, ms }) => {
        level.value = value;
        elapsedLabel.textContent = clock(ms);
      },
      onLimit: () => stop(`That is ${clock(maxSeconds * 1000)}, as long as a memo can be. It is kept.`),
      onProblem: showProblem,
      onError: () => stop("The recording stopped unexpectedly. What was recorded is kept."),
    });
  } catch (error) {
    showProblem(error instanceof RecordingProblem ? error.message : "Recording is not possible in this browser just now.");
    return;
  }
  show(["pause", "stop"]);
  say("Recording… it is kept on this device as you speak.");
}

function pause() {
  if (!session || session.state !== "recording") return;
  session.pause();
  show(["resume", "stop"]);
  say("Paused.");
}

function resume() {
  if (!session || session.state !== "paused") return;
  session.resume();
  show(["pause", "stop"]);
  say("Recording…");
}

async function stop(message) {
  if (!session) return;
  const current = session;
  const item = await current.stop();
  if (session !== current) return; // stopped twice (the limit and a tap): once is enough
  session = null;
  level.value = 0;
  elapsedLabel.textContent = clock(item ? item.duration_ms : 0);
  show(["start"]);
  say(message || "Stopped. The recording is kept on this device.");
  await openMemo(current.id, item);
}

function setPreview(blob) {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = blob ? URL.createObjectURL(blob) : null;
  if (previewUrl) preview.src = previewUrl;
  else preview.removeAttribute("src");
}

/** Show the details form for a memo on this device. ``known`` is the item when the caller
 * has just read or written it (a memo just stopped), which spares a read of the store. */
async function openMemo(id, known = null) {
  let item = known;
  try {
    if (!item && id) item = await store.get(id);
  } catch {
    showProblem("This device could not open the recording just now. It is kept; try again in a moment.");
    return;
  }
  open = item && item.account === account ? item : null;
  details.hidden = !open;
  if (!open) {
    setPreview(null);
    return;
  }
  try {
    setPreview(await store.blob(open.id, open.mime));
  } catch {
    setPreview(null); // the form still saves it; the preview is a courtesy
  }
  const fields = details.querySelector("[data-standalone-fields]");
  fields.hidden = Boolean(open.entry_id);
  const entry = open.entry || {};
  details.elements.title.value = entry.title || "";
  details.elements.note.value = entry.note || "";
  const mood = entry.mood ? String(entry.mood) : "";
  for (const radio of details.querySelectorAll('input[name="mood"]')) radio.checked = radio.value === mood;
  details.querySelector("button[type=submit]").focus();
}

async function save(event) {
  event.preventDefault();
  if (!open) return;
  const mood = details.elements.mood.value;
  const entry = {
    ...(open.entry || {}),
    entry_id: (open.entry && open.entry.entry_id) || self.tendDrafts.newId(),
    title: details.elements.title.value.trim() || null,
    note: details.elements.note.value.trim() || null,
    mood: mood ? Number(mood) : null,
    prompt: (open.entry && open.entry.prompt) || open.prompt || null,
    client_updated_at: open.created_at,
  };
  await store.update(open.id, (item) => item && { ...item, state: "ready", entry, error: null });
  open = null;
  details.hidden = true;
  details.reset();
  setPreview(null);
  say(navigator.onLine ? "Saved. Sending it to your journal…" : "Saved on this device. It will sync when Tend can be reached.");
  await renderWaiting();
  document.dispatchEvent(new CustomEvent("tend:draft-saved"));
  document.dispatchEvent(new CustomEvent("tend:sync-now"));
}

async function discard() {
  if (!open) return;
  if (!window.confirm("Delete this recording from this device? It has not reached your journal.")) return;
  await store.remove(open.id);
  open = null;
  details.hidden = true;
  setPreview(null);
  say("Recording discarded.");
  await renderWaiting();
}

async function renderWaiting() {
  const items = (await store.forAccount(account))
    .filter((item) => item.kind === "memo" && !(session && item.id === session.id))
    .filter((item) => !(item.capture && item.state !== "ready")) // capture's own, until it is saved
    .sort((a, b) => (b.created_at || "").localeCompare(a.created_at || ""));
  const rows = await Promise.all(items.map(async (item) => {
    const row = document.createElement("li");
    row.dataset.memo = item.id;
    const label = document.createElement("span");
    const when = new Date(item.created_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    const name = (item.entry && (item.entry.title || item.entry.note)) || `Memo of ${when}`;
    label.textContent = `${name} · `;
    const length = document.createElement("span");
    length.className = "memo-duration";
    length.textContent = clock(item.duration_ms || 0);
    label.append(length);
    row.append(label);
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = URL.createObjectURL(await store.blob(item.id, item.mime));
    audio.setAttribute("aria-label", `Play ${name}`);
    row.append(audio);
    const note = document.createElement("span");
    note.className = "muted";
    if (item.state === "ready") note.textContent = "Waiting to sync";
    else if (item.state === "rejected") note.textContent = `Not synced: ${item.error}`;
    else note.textContent = "Not saved yet";
    row.append(note);
    if (item.state !== "ready") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = item.state === "rejected" ? "Remove" : "Open";
      button.addEventListener("click", async () => {
        if (item.state === "rejected") {
          if (window.confirm("Remove this recording from this device?")) {
            await store.remove(item.id);
            await renderWaiting();
          }
        } else {
          await openMemo(item.id);
        }
      });
      row.append(button);
    }
    return row;
  }));
  for (const old of waitingList.querySelectorAll("audio")) if (old.src.startsWith("blob:")) URL.revokeObjectURL(old.src);
  waitingList.replaceChildren(...rows);
  waiting.hidden = rows.length === 0;
}

async function afterSync(summary) {
  if (!summary) return;
  const done = (summary.media || []).filter((m) => m.status === "ready");
  if (done.length) {
    const link = document.createElement("a");
    const last = done[done.length - 1];
    link.href = last.entry_id ? `/entries/${last.entry_id}` : "/journal";
    link.textContent = "Open it in your journal";
    statusLine.replaceChildren(`Synced. ${done.length === 1 ? "The memo is" : `${done.length} memos are`} in your journal. `, link);
  } else if (summary.state === "signed-out") {
    say("Saved on this device. Sign in to sync.");
  }
  await renderWaiting();
}

async function whoIsRecording() {
  const current = await self.tendSync.readSession();
  if (current.state === "signed-in") return current.user_id;
  const known = await self.tendDrafts.getMeta("account");
  return known ? known.id : null;
}

async function begin() {
  buttons.start.addEventListener("click", start);
  buttons.pause.addEventListener("click", pause);
  buttons.resume.addEventListener("click", resume);
  buttons.stop.addEventListener("click", () => stop());
  details.addEventListener("submit", save);
  details.querySelector("[data-discard]").addEventListener("click", discard);
  document.addEventListener("tend:synced", (event) => { if (account) afterSync(event.detail); });
  document.addEventListener("tend:clearing", () => { account = null; });
  // Leaving while recording: what was recorded so far is on the device already; take the rest.
  window.addEventListener("pagehide", () => { if (session) session.flush(); });
  if (attachTo) document.getElementById("recorder-for-entry").hidden = false;
  account = await whoIsRecording();
  if (!account) {
    showProblem("Sign in once with a connection, and Tend can keep recordings on this device, even offline.");
    return;
  }
  // A recording interrupted by a closed app or a crash is kept: offer it to be saved.
  const interrupted = (await store.forAccount(account)).filter((item) => item.state === "recording");
  for (const item of interrupted) await store.update(item.id, (it) => it && { ...it, state: "stopped" });
  controls.hidden = false;
  show(["start"]);
  await renderWaiting();
  checkSpace();
}

begin();
