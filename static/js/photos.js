// "Add a photo" on an entry's page, enhanced: the photo goes through the same resumable
// upload as memos, so a photo chosen while the connection drops is kept on this device and
// added when it returns. Without JavaScript the form sends the photo itself.

const form = document.querySelector("form[data-photo-form]");
const account = document.body.dataset.account;

function say(text, kind = "info") {
  const messages = document.getElementById("messages");
  if (!messages) return;
  const box = document.createElement("p");
  box.className = `notice notice-${kind}`;
  box.textContent = text;
  messages.replaceChildren(box);
}

if (form && account && self.tendMedia && self.tendDrafts) {
  form.addEventListener("submit", async (event) => {
    const file = form.elements.photo.files[0];
    if (!file) return;
    event.preventDefault();
    const id = self.tendDrafts.newId();
    try {
      await self.tendMedia.put({
        id, account, kind: "photo", state: "stopped", mime: file.type || "", size: 0, pieces: 0,
        created_at: new Date().toISOString(), entry_id: form.dataset.entry,
      });
      await self.tendMedia.addPiece(id, 0, file, {});
      await self.tendMedia.update(id, (item) => item && { ...item, state: "ready" });
    } catch {
      form.submit(); // this device cannot keep it: send it with the form instead
      return;
    }
    form.reset();
    say(navigator.onLine ? "Adding the photo…" : "The photo is kept on this device and will be added when Tend can be reached.");
    document.addEventListener("tend:synced", (done) => {
      const result = (done.detail?.media || []).find((m) => m.id === id);
      if (result && result.status === "ready") location.reload();
      else if (result && result.status === "rejected") say(`The photo was not added: ${result.error}`, "error");
    });
    document.dispatchEvent(new CustomEvent("tend:draft-saved"));
    document.dispatchEvent(new CustomEvent("tend:sync-now"));
  });
}
