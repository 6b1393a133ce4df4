// Sending drafts home (POST /api/sync, see docs/sync.md). Shared by pages and the service
// worker, so Background Sync and an open page run the same code; a Web Lock keeps them
// from syncing at the same moment. A draft leaves the device only once the server
// acknowledged it, and only under the account that wrote it. Only saved drafts travel: a
// draft the person has not saved yet (ready: false) stays on the device until they do.
(function (scope) {
  "use strict";
  const BATCH_DRAFTS = 50;
  const BATCH_BYTES = 2 * 1024 * 1024;
  const API = { session: "/api/session", sync: "/api/sync" };

  async function readSession() {
    let response;
    try {
      response = await fetch(API.session, { credentials: "same-origin", cache: "no-store" });
    } catch {
      return { state: "offline" };
    }
    if (response.status === 401) return { state: "signed-out" };
    if (!response.ok) return { state: "error", status: response.status };
    const session = await response.json();
    await scope.tendDrafts.setMeta("account", { id: session.user_id, email: session.email });
    return { state: "signed-in", ...session };
  }

  function wireDraft(draft) {
    return {
      id: draft.id,
      base_version: draft.base_version ?? null,
      title: draft.title || null,
      body: draft.body || "",
      mood: draft.mood ?? null,
      prompt: draft.prompt ?? null,
      journey_id: draft.journey_id ?? null,
      feelings: draft.feelings ?? null,
      body_map: draft.body_map ?? null,
      client_updated_at: draft.client_updated_at || null,
      deleted: Boolean(draft.deleted),
    };
  }

  function batches(drafts) {
    const out = [];
    let current = [];
    let size = 0;
    for (const draft of drafts) {
      const length = JSON.stringify(wireDraft(draft)).length * 3;
      if (current.length && (current.length >= BATCH_DRAFTS || size + length > BATCH_BYTES)) {
        out.push(current);
        current = [];
        size = 0;
      }
      current.push(draft);
      size += length;
    }
    if (current.length) out.push(current);
    return out;
  }

  /** Apply the server's answer to the draft that was sent, unless it changed meanwhile. */
  async function settle(sent, result, summary) {
    const acknowledged = ["created", "updated", "unchanged", "conflict"].includes(result.status);
    await scope.tendDrafts.update(sent.id, (current) => {
      if (!current) return undefined;
      const untouched = current.revision === sent.revision;
      if (result.status === "rejected") {
        return { ...current, rejected: result.error || "The server could not accept this draft.",
                 rejected_revision: sent.revision };
      }
      if (!acknowledged) return undefined;
      if (untouched) return null; // safely home: it leaves the device
      // Edited while syncing: keep the newer text, based on what the server now holds.
      if (result.status === "conflict") {
        if (!result.conflict_copy_id) return { ...current, base_version: result.version };
        return { ...current, id: result.conflict_copy_id, base_version: 1 };
      }
      return { ...current, base_version: result.version, rejected: null };
    });
    if (result.status === "conflict") summary.conflicts.push(result);
    if (result.status === "rejected") summary.rejected.push(result);
    if (acknowledged) summary.synced.push(result);
    if (result.status === "conflict" && result.conflict_copy_id) {
      summary.moved[sent.id] = result.conflict_copy_id;
    }
  }

  /** Drafts written before "ready" existed were all meant for the journal. */
  function isSaved(draft) {
    return draft.ready !== false;
  }

  async function savedDrafts(account) {
    const drafts = account ? await scope.tendDrafts.forAccount(account) : await scope.tendDrafts.all();
    return drafts.filter(isSaved);
  }

  async function syncOnce() {
    const session = await readSession();
    const summary = { state: session.state, synced: [], conflicts: [], rejected: [], moved: {},
                      remaining: 0, account: session.user_id || null };
    if (session.state !== "signed-in") {
      summary.remaining = (await savedDrafts(null)).length
        + (scope.tendMediaSync ? await scope.tendMediaSync.waiting() : 0);
      return summary;
    }
    const mine = (await savedDrafts(session.user_id))
      .filter((d) => !(d.rejected && d.rejected_revision === d.revision));
    for (const batch of batches(mine)) {
      let response;
      try {
        response = await fetch(API.sync, {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
          referrerPolicy: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": session.csrf_token },
          body: JSON.stringify({ drafts: batch.map(wireDraft) }),
        });
      } catch {
        summary.state = "offline";
        break;
      }
      if (response.status === 401) {
        summary.state = "signed-out";
        break;
      }
      if (!response.ok) {
        summary.state = "error";
        summary.status = response.status;
        break;
      }
      const answer = await response.json();
      for (let i = 0; i < batch.length; i += 1) {
        const result = answer.results[i];
        if (result && result.id === batch[i].id) await settle(batch[i], result, summary);
      }
    }
    // Memos, photos and drawings follow the drafts they may belong to (media-sync.js).
    if (scope.tendMediaSync && summary.state === "signed-in") {
      await scope.tendMediaSync.uploadAll(session, summary);
    }
    summary.remaining = (await savedDrafts(session.user_id)).length
      + (scope.tendMediaSync ? await scope.tendMediaSync.waiting(session.user_id) : 0);
    return summary;
  }

  /** Sync now; pages and the worker take turns. Resolves to a summary of what happened. */
  async function syncNow() {
    const summary = scope.navigator.locks
      ? await scope.navigator.locks.request("tend-sync", syncOnce)
      : await syncOnce();
    announce(summary);
    return summary;
  }

  function announce(summary) {
    try {
      const channel = new BroadcastChannel("tend-sync");
      channel.postMessage({ type: "synced", summary });
      channel.close();
    } catch {
      // Older browsers: each page still learns from its own sync.
    }
  }

  scope.tendSync = { syncNow, readSession, batches, wireDraft, isSaved };
})(self);
