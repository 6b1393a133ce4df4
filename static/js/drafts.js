// The device's draft store (IndexedDB), shared by pages and the service worker.
// A classic script on purpose: pages load it with <script defer>, the worker with importScripts.
// Journal text lives only here on the device, never in localStorage. The "kept" store holds
// what a person chose to keep here for offline use (their safety plan), nothing else.
(function (scope) {
  "use strict";
  const DB_NAME = "tend";
  const DB_VERSION = 2;
  let opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("drafts")) {
          const drafts = db.createObjectStore("drafts", { keyPath: "id" });
          drafts.createIndex("account", "account");
        }
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
        if (!db.objectStoreNames.contains("kept")) db.createObjectStore("kept", { keyPath: "key" });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading or deleting the database: let it, and reopen next time.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
      request.onblocked = () => { opening = null; reject(new Error("draft store blocked")); };
    });
    return opening;
  }

  async function run(storeName, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const store = tx.objectStore(storeName);
      let result;
      Promise.resolve(work(store)).then((value) => { result = value; }, reject);
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
  }

  function asPromise(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  const tendDrafts = {
    newId() {
      if (scope.crypto && crypto.randomUUID) return crypto.randomUUID();
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
    /** A new draft of ``account``'s, written on this device now: capture and the check-in
     * (the editor keeps a plain entry's own fields). */
    fresh(account, fields) {
      const now = new Date().toISOString();
      return {
        id: tendDrafts.newId(), account, base_version: null, title: null, body: "", mood: null,
        prompt: null, journey_id: null, deleted: false, feelings: [], body_map: [],
        revision: 1, client_updated_at: now, created_on_device: now, rejected: null,
        ...fields,
      };
    },
    get(id) {
      return run("drafts", "readonly", (store) => asPromise(store.get(id)));
    },
    put(draft) {
      return run("drafts", "readwrite", (store) => asPromise(store.put(draft)));
    },
    remove(id) {
      return run("drafts", "readwrite", (store) => asPromise(store.delete(id)));
    },
    all() {
      return run("drafts", "readonly", (store) => asPromise(store.getAll()));
    },
    forAccount(account) {
      return run("drafts", "readonly", (store) =>
        asPromise(store.index("account").getAll(IDBKeyRange.only(account))));
    },
    /** Replace a draft inside one transaction, only if it is still at ``revision``. */
    update(id, change) {
      return run("drafts", "readwrite", async (store) => {
        const current = await asPromise(store.get(id));
        const next = change(current);
        if (next === undefined) return current;
        if (next === null) {
          await asPromise(store.delete(id));
        } else {
          if (next.id !== id) await asPromise(store.delete(id));
          await asPromise(store.put(next));
        }
        return next;
      });
    },
    getMeta(key) {
      return run("meta", "readonly", (store) => asPromise(store.get(key))).then((r) => r && r.value);
    },
    setMeta(key, value) {
      return run("meta", "readwrite", (store) => asPromise(store.put({ key, value })));
    },
    getKept(key) {
      return run("kept", "readonly", (store) => asPromise(store.get(key))).then((r) => r && r.value);
    },
    setKept(key, value) {
      return run("kept", "readwrite", (store) => asPromise(store.put({ key, value })));
    },
    removeKept(key) {
      return run("kept", "readwrite", (store) => asPromise(store.delete(key)));
    },
    /** Forget everything on this device: drafts, what was kept, the remembered account. */
    async clearAll() {
      const db = await open();
      return new Promise((resolve, reject) => {
        const tx = db.transaction(["drafts", "meta", "kept"], "readwrite");
        tx.objectStore("drafts").clear();
        tx.objectStore("meta").clear();
        tx.objectStore("kept").clear();
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
    },
  };

  scope.tendDrafts = tendDrafts;
})(self);
