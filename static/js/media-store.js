// Memos, photos and drawings kept on this device (IndexedDB) until they reach Tend.
// A classic script on purpose: pages load it with <script defer>, the worker with importScripts.
// A recording is written here *while* it records, a few seconds at a time, so closing the
// app, a crash or a dead battery loses at most those seconds.
(function (scope) {
  "use strict";
  const DB_NAME = "tend-media";
  const DB_VERSION = 1;
  let opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("items")) {
          db.createObjectStore("items", { keyPath: "id" }).createIndex("account", "account");
        }
        // Pieces of each item's bytes, in order: [item id, sequence number] -> Blob.
        if (!db.objectStoreNames.contains("pieces")) db.createObjectStore("pieces", { keyPath: ["id", "seq"] });
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
      request.onblocked = () => { opening = null; reject(new Error("media store blocked")); };
    });
    return opening;
  }

  function asPromise(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(stores, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      let result;
      Promise.resolve(work(tx)).then((value) => { result = value; }, reject);
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
  }

  function piecesOf(id) {
    return IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]);
  }

  const tendMedia = {
    get(id) {
      return run("items", "readonly", (tx) => asPromise(tx.objectStore("items").get(id)));
    },
    put(item) {
      return run("items", "readwrite", (tx) => asPromise(tx.objectStore("items").put(item)));
    },
    all() {
      return run("items", "readonly", (tx) => asPromise(tx.objectStore("items").getAll()));
    },
    forAccount(account) {
      return run("items", "readonly", (tx) =>
        asPromise(tx.objectStore("items").index("account").getAll(IDBKeyRange.only(account))));
    },
    /** Change an item inside one transaction; ``change`` returns the new item, or undefined. */
    update(id, change) {
      return run("items", "readwrite", async (tx) => {
        const store = tx.objectStore("items");
        const next = change(await asPromise(store.get(id)));
        if (next) await asPromise(store.put(next));
        return next;
      });
    },
    /** Keep one more piece of an item, and what the item now holds, together. A piece of an
     * item that is gone (discarded, or the device cleared while it recorded) is not kept. */
    addPiece(id, seq, blob, changes) {
      return run(["items", "pieces"], "readwrite", async (tx) => {
        const items = tx.objectStore("items");
        const item = await asPromise(items.get(id));
        if (!item) return;
        tx.objectStore("pieces").put({ id, seq, blob });
        await asPromise(items.put({ ...item, ...changes, size: (item.size || 0) + blob.size, pieces: seq + 1 }));
      });
    },
    /** The item's bytes as one Blob (made of the stored pieces, not copied into memory). */
    async blob(id, type) {
      const pieces = await run("pieces", "readonly", (tx) =>
        asPromise(tx.objectStore("pieces").getAll(piecesOf(id))));
      return new Blob(pieces.sort((a, b) => a.seq - b.seq).map((p) => p.blob), { type: type || "" });
    },
    remove(id) {
      return run(["items", "pieces"], "readwrite", (tx) => {
        tx.objectStore("items").delete(id);
        tx.objectStore("pieces").delete(piecesOf(id));
      });
    },
    async clearAll() {
      return run(["items", "pieces"], "readwrite", (tx) => {
        tx.objectStore("items").clear();
        tx.objectStore("pieces").clear();
      });
    },
  };

  scope.tendMedia = tendMedia;
})(self);
