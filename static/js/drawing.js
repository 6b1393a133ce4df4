// The drawing pad (/draw): Pointer Events, so a finger, a pen (with its pressure) and a
// mouse all draw. Strokes are kept as points, so undo redraws the rest. A saved drawing is a
// PNG that waits on the device, like a memo, until it has reached Tend (media-sync.js).

const form = document.getElementById("drawing-form");
const canvas = document.getElementById("drawing-pad");
const statusLine = document.getElementById("drawing-status");
const waiting = document.getElementById("drawings-waiting");
const waitingList = document.getElementById("drawings-waiting-list");
const context = canvas.getContext("2d");
const attachTo = new URL(location.href).searchParams.get("entry");
const MAX_SIDE = 2048;
const strokes = [];
let current = null;
let account = null;
let scale = 1;

function say(text) {
  statusLine.textContent = text;
}

function size() {
  const width = canvas.clientWidth || 320;
  const height = Math.round(width * 4 / 3);
  const ratio = Math.min(window.devicePixelRatio || 1, MAX_SIDE / height);
  scale = ratio;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  redraw();
}

function paintStroke(stroke) {
  context.strokeStyle = stroke.colour;
  context.fillStyle = stroke.colour;
  context.lineCap = "round";
  context.lineJoin = "round";
  const points = stroke.points;
  if (points.length === 1) {
    const [x, y, pressure] = points[0];
    context.beginPath();
    context.arc(x * canvas.width, y * canvas.height, (stroke.width * pressure * scale) / 2, 0, Math.PI * 2);
    context.fill();
    return;
  }
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1, pressure] = points[i];
    context.lineWidth = stroke.width * pressure * scale;
    context.beginPath();
    context.moveTo(x0 * canvas.width, y0 * canvas.height);
    context.lineTo(x1 * canvas.width, y1 * canvas.height);
    context.stroke();
  }
}

function redraw() {
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  for (const stroke of strokes) paintStroke(stroke);
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  const pressure = event.pointerType === "pen" && event.pressure > 0 ? 0.4 + event.pressure * 1.2 : 1;
  return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height, pressure];
}

function down(event) {
  if (event.button !== undefined && event.button > 0) return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  current = {
    colour: form.elements.colour.value,
    width: Number(form.elements.width.value),
    points: [point(event)],
    pointer: event.pointerId,
  };
  strokes.push(current);
  paintStroke(current);
}

function move(event) {
  if (!current || event.pointerId !== current.pointer) return;
  event.preventDefault();
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const each of events.length ? events : [event]) {
    current.points.push(point(each));
    paintStroke({ ...current, points: current.points.slice(-2) });
  }
}

function up(event) {
  if (!current || event.pointerId !== current.pointer) return;
  current = null;
}

function undo() {
  strokes.pop();
  redraw();
}

function clear() {
  if (strokes.length && !window.confirm("Clear the whole drawing?")) return;
  strokes.length = 0;
  redraw();
}

async function save(event) {
  event.preventDefault();
  if (!strokes.length) {
    say("There is nothing drawn yet. A single line is enough.");
    return;
  }
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const id = self.tendDrafts.newId();
  const now = new Date().toISOString();
  const mood = form.elements.mood.value;
  await self.tendMedia.put({
    id, account, kind: "drawing", state: "stopped", mime: "image/png", size: 0, pieces: 0,
    created_at: now, entry_id: attachTo || null,
    entry: attachTo ? null : {
      entry_id: self.tendDrafts.newId(), title: form.elements.title.value.trim() || null,
      note: form.elements.note.value.trim() || null, mood: mood ? Number(mood) : null,
      client_updated_at: now,
    },
  });
  await self.tendMedia.addPiece(id, 0, blob, {});
  await self.tendMedia.update(id, (item) => item && { ...item, state: "ready" });
  strokes.length = 0;
  form.reset();
  redraw();
  say(navigator.onLine ? "Saved. Sending it to your journal…" : "Saved on this device. It will sync when Tend can be reached.");
  await renderWaiting();
  document.dispatchEvent(new CustomEvent("tend:draft-saved"));
  document.dispatchEvent(new CustomEvent("tend:sync-now"));
}

async function renderWaiting() {
  const items = (await self.tendMedia.forAccount(account)).filter((item) => item.kind === "drawing");
  waitingList.replaceChildren(...items.map((item) => {
    const row = document.createElement("li");
    const when = new Date(item.created_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    row.textContent = `${(item.entry && item.entry.title) || `Drawing of ${when}`} · `;
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = item.state === "rejected" ? `Not synced: ${item.error}` : "Waiting to sync";
    row.append(note);
    return row;
  }));
  waiting.hidden = items.length === 0;
}

async function begin() {
  const session = await self.tendSync.readSession();
  if (session.state === "signed-in") account = session.user_id;
  else account = (await self.tendDrafts.getMeta("account"))?.id || null;
  if (!account) {
    document.getElementById("drawing-unavailable").hidden = false;
    return;
  }
  if (attachTo) {
    document.getElementById("drawing-for-entry").hidden = false;
    form.querySelector("[data-standalone-fields]").hidden = true;
  }
  form.hidden = false;
  size();
  window.addEventListener("resize", () => size());
  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  form.querySelector("[data-undo]").addEventListener("click", undo);
  form.querySelector("[data-clear]").addEventListener("click", clear);
  form.addEventListener("submit", save);
  document.addEventListener("tend:synced", async (event) => {
    const done = (event.detail?.media || []).filter((m) => m.status === "ready");
    if (done.length) {
      const link = document.createElement("a");
      link.href = done[done.length - 1].entry_id ? `/entries/${done[done.length - 1].entry_id}` : "/journal";
      link.textContent = "Open it in your journal";
      statusLine.replaceChildren("Synced. ", link);
    }
    await renderWaiting();
  });
  await renderWaiting();
}

begin();
