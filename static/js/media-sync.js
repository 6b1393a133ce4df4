// Sending memos, photos and drawings home: resumable uploads (docs/media.md). Shared by
// pages and the service worker; sync-core.js calls it after the drafts, inside the same
// Web Lock and with the same session. An item leaves the device only once Tend answered
// that it is ready; a dropped connection continues from the last byte Tend acknowledged.
(function (scope) {
  "use strict";
  const PIECE_BYTES = 1024 * 1024;
  const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

  function hex(buffer) {
    return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function post(url, session, body, headers = {}) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-CSRFToken": session.csrf_token, ...headers },
      body,
    });
  }

  function postJson(url, session, payload) {
    return post(url, session, JSON.stringify(payload), { "Content-Type": "application/json" });
  }

  async function answerOf(response) {
    try {
      return await response.json();
    } catch {
      return { error: "Tend answered in a way this device did not understand." };
    }
  }

  /** Outcome of one attempt: "done", "waiting" (try later), or a state that stops the run. */
  async function uploadOne(item, session) {
    const blob = await scope.tendMedia.blob(item.id, item.mime);
    if (!blob.size) return { outcome: "rejected", error: "Nothing was recorded." };
    const digest = hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    let response = await postJson("/api/media", session, { id: item.id, kind: item.kind, size: blob.size });
    let answer = await answerOf(response);
    if (!response.ok) return failure(response, answer);
    for (let round = 0; round < 3; round += 1) {
      let offset = answer.status === "ready" ? blob.size : answer.offset;
      let steps = 0;
      while (offset < blob.size) {
        if ((steps += 1) > Math.ceil(blob.size / PIECE_BYTES) * 3 + 10) {
          return { outcome: "error", error: "The upload did not move forward." };
        }
        response = await post(`/api/media/${item.id}/content`, session,
          blob.slice(offset, offset + PIECE_BYTES),
          { "Upload-Offset": String(offset), "Content-Type": "application/octet-stream" });
        answer = await answerOf(response);
        if (response.status === 409 && Number.isInteger(answer.offset)) {
          offset = answer.offset; // Tend has a different amount: continue from there
          continue;
        }
        if (!response.ok) return failure(response, answer);
        offset = answer.status === "ready" ? blob.size : answer.offset;
        await scope.tendMedia.update(item.id, (current) => current && { ...current, sent: offset });
      }
      const attach = item.entry_id ? { entry_id: item.entry_id } : { entry: item.entry || {} };
      response = await postJson(`/api/media/${item.id}/complete`, session, { sha256: digest, ...attach });
      answer = await answerOf(response);
      if (response.ok && answer.status === "processing") return waitForProcessing(item.id);
      if (response.ok) return { outcome: "done", answer };
      const again = (response.status === 409 || response.status === 422)
        && Number.isInteger(answer.offset) && answer.offset < blob.size;
      if (!again) return failure(response, answer);
    }
    return { outcome: "error", error: "The upload could not be completed." };
  }

  /** A long memo is transcoded after Tend answered: ask until it is ready, for a while. */
  async function waitForProcessing(id) {
    for (let tries = 0; tries < 90; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const response = await fetch(`/api/media/${id}`, { credentials: "same-origin", cache: "no-store" });
      const answer = await answerOf(response);
      if (!response.ok) return failure(response, answer);
      if (answer.status === "ready") return { outcome: "done", answer };
      if (answer.status !== "processing") {
        return { outcome: "rejected", error: answer.problem || "Tend could not take this recording." };
      }
    }
    return { outcome: "waiting", error: "Tend is still preparing this recording." };
  }

  function failure(response, answer) {
    if (response.status === 401) return { outcome: "signed-out" };
    if (response.status === 409 && answer.error && !Number.isInteger(answer.offset)) {
      return { outcome: "waiting", error: answer.error }; // e.g. its entry has not synced yet
    }
    if (RETRYABLE.has(response.status) || response.status === 423) {
      return { outcome: "error", status: response.status };
    }
    return { outcome: "rejected", error: answer.error || `Tend could not take this (${response.status}).` };
  }

  /** An item waiting for its entry whose draft is no longer on this device (discarded after
   * Tend refused it, say): that entry will never come, so the item must not wait for it. */
  async function draftIsGone(item) {
    if (!item.entry_id || !scope.tendDrafts) return false;
    return !(await scope.tendDrafts.get(item.entry_id));
  }

  /** Keep the item as an entry of its own (a new one: the old id may belong to an entry
   * deleted on another device), so nothing recorded is lost. */
  function standsAlone(item) {
    return scope.tendMedia.update(item.id, (current) => current && {
      ...current, entry_id: null, error: null,
      entry: { entry_id: scope.tendDrafts.newId(), title: null, note: null, mood: null,
               prompt: current.prompt || null, client_updated_at: current.created_at },
    });
  }

  /** Upload every saved item of the signed-in account; updates the sync summary. */
  async function uploadAll(session, summary) {
    summary.media = summary.media || [];
    const items = (await scope.tendMedia.forAccount(session.user_id))
      .filter((item) => item.state === "ready")
      .sort((a, b) => (a.created_at || "").localeCompare(b.created_at || ""));
    for (let item of items) {
      let result;
      try {
        result = await uploadOne(item, session);
        if (result.outcome === "waiting" && await draftIsGone(item)) {
          const alone = await standsAlone(item);
          if (!alone) continue; // removed from the device meanwhile
          item = alone;
          result = await uploadOne(item, session);
        }
      } catch {
        summary.state = "offline";
        break;
      }
      if (result.outcome === "done") {
        await scope.tendMedia.remove(item.id);
        summary.media.push({ id: item.id, status: "ready", entry_id: result.answer.entry_id });
      } else if (result.outcome === "rejected") {
        await scope.tendMedia.update(item.id, (current) => current && { ...current, state: "rejected", error: result.error });
        summary.media.push({ id: item.id, status: "rejected", error: result.error });
      } else if (result.outcome === "waiting") {
        summary.media.push({ id: item.id, status: "waiting", error: result.error });
      } else {
        summary.state = result.outcome === "signed-out" ? "signed-out" : "error";
        if (result.status) summary.status = result.status;
        break;
      }
    }
    return summary;
  }

  /** How many items wait on the device (for this account, or all). */
  async function waiting(account) {
    const items = account ? await scope.tendMedia.forAccount(account) : await scope.tendMedia.all();
    return items.filter((item) => item.state !== "rejected").length;
  }

  scope.tendMediaSync = { uploadAll, waiting };
})(self);
