// Sharing, for the person who shares: tick entries quickly, then hand the link over with
// the phone's share sheet, a copy, or a QR code. Everything works without this script too.

const handover = document.querySelector("[data-handover]");

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (or no permission): select the link and copy the old way.
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

if (handover) {
  const input = handover.querySelector("[data-share-link]");
  const status = handover.querySelector("[data-handover-status]");
  const sheet = handover.querySelector("[data-share-sheet]");
  const say = (name) => {
    status.textContent = handover.dataset[name] || "";
  };
  input.addEventListener("focus", () => input.select());
  if (typeof navigator.share === "function") {
    sheet.hidden = false;
    sheet.addEventListener("click", async () => {
      try {
        await navigator.share({
          title: handover.dataset.shareTitle,
          text: handover.dataset.shareText,
          url: input.value,
        });
        say("sharedMessage");
      } catch (error) {
        if (error && error.name !== "AbortError") say("sheetFailedMessage");
      }
    });
  }
  handover.querySelector("[data-copy-link]").addEventListener("click", async () => {
    say((await copyText(input.value, input)) ? "copiedMessage" : "copyFailedMessage");
  });
}

const pickForm = document.getElementById("pick-form");

if (pickForm) {
  const boxes = [...pickForm.querySelectorAll('input[name="entry"]')];
  const bulk = pickForm.querySelector("[data-bulk]");
  if (bulk && boxes.length) {
    bulk.hidden = false;
    bulk.addEventListener("click", (event) => {
      const which = event.target.closest("[data-tick]")?.dataset.tick;
      if (which) for (const box of boxes) box.checked = which === "all";
    });
  }
  // Ticking by phase or dates happens in place, keeping what was ticked by hand.
  const quick = document.querySelector("[data-quick-pick]");
  if (quick) {
    const status = quick.querySelector("[role=status]");
    quick.addEventListener("submit", (event) => {
      event.preventDefault();
      const phase = quick.elements.namedItem("phase").value;
      const from = quick.elements.namedItem("from").value;
      const to = quick.elements.namedItem("to").value;
      let added = 0;
      for (const box of boxes) {
        const inPhase = phase && box.dataset.phase === phase;
        const inDays = (from || to) && (!from || box.dataset.day >= from) && (!to || box.dataset.day <= to);
        if ((inPhase || inDays) && !box.checked) {
          box.checked = true;
          added += 1;
        }
      }
      status.textContent = (added ? quick.dataset.tickedMessage : quick.dataset.noneMessage || "").replace("{n}", added);
    });
  }
}
