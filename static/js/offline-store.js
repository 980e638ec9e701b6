/* The offline outbox on the device (IndexedDB), shared by the pages and the service worker.

   Stores: "outbox" (one record per form saved on the phone; its id, made on the phone, is the
   Idempotency-Key the server sees), "reference" (the scoped choices of the offline forms, per
   user, with the time they were fetched), "meta" (the signed-in user and CSRF token, so that the
   service worker can send on Background Sync).

   A record's state: waiting -> sending -> saved (with the server's receipt) or refused (with the
   server's message; kept until the user corrects and resends or discards it). Nothing leaves the
   device until the server has confirmed it; a refused record never stops the others. */
(function (global) {
  "use strict";

  var DB_NAME = "mha-offline";
  var DB_VERSION = 1;
  var LOCK = "mha-outbox-sync";
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("mha-outbox") : null;
  var dbPromise = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, DB_VERSION);
      // Each version only adds stores and indexes: an upgrade of the app keeps the records.
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("outbox")) {
          db.createObjectStore("outbox", { keyPath: "id" }).createIndex("seq", "seq", { unique: true });
        }
        if (!db.objectStoreNames.contains("reference")) db.createObjectStore("reference", { keyPath: "user" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
      };
      req.onsuccess = function () {
        var db = req.result;
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      req.onerror = function () { dbPromise = null; reject(req.error); };
    });
    return dbPromise;
  }

  // Runs fn(stores...) in one transaction; resolves with fn's result once the transaction commits.
  function transact(names, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("aborted")); };
        Promise.resolve(fn.apply(null, names.map(function (n) { return tx.objectStore(n); })))
          .then(function (value) { result = value; }, function (error) { tx.abort(); reject(error); });
      });
    });
  }

  function changed() {
    if (channel) channel.postMessage({ type: "changed" });
    if (global.dispatchEvent && typeof CustomEvent === "function") {
      global.dispatchEvent(new CustomEvent("mha-outbox-changed"));
    }
  }

  function uuid() {
    if (global.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function add(record) {
    return transact(["outbox"], "readwrite", function (outbox) {
      // The next number in the device's order (records are sent in the order they were made).
      return request(outbox.index("seq").openCursor(null, "prev")).then(function (cursor) {
        var full = Object.assign({
          id: uuid(), seq: cursor ? cursor.value.seq + 1 : 1, state: "waiting", attempts: 0,
          created_at: new Date().toISOString(), message: "", errors: {}, result: null,
        }, record);
        return request(outbox.add(full)).then(function () { return full; });
      });
    }).then(function (full) { changed(); return full; });
  }

  function update(id, changes) {
    return transact(["outbox"], "readwrite", function (outbox) {
      return request(outbox.get(id)).then(function (record) {
        if (!record) return null;
        Object.assign(record, changes, { updated_at: new Date().toISOString() });
        return request(outbox.put(record)).then(function () { return record; });
      });
    }).then(function (record) { changed(); return record; });
  }

  function get(id) {
    return transact(["outbox"], "readonly", function (outbox) { return request(outbox.get(id)); });
  }

  function remove(id) {
    return transact(["outbox"], "readwrite", function (outbox) { return request(outbox.delete(id)); })
      .then(changed);
  }

  function records(user) {
    return transact(["outbox"], "readonly", function (outbox) {
      return request(outbox.index("seq").getAll());
    }).then(function (all) {
      return all.filter(function (r) { return user === undefined || r.user === user; });
    });
  }

  function pending(record) {
    return record.state === "waiting" || record.state === "sending";
  }

  function putMeta(key, value) {
    return transact(["meta"], "readwrite", function (meta) {
      return request(meta.put(Object.assign({ key: key }, value)));
    });
  }

  function getMeta(key) {
    return transact(["meta"], "readonly", function (meta) { return request(meta.get(key)); });
  }

  function putReference(data) {
    return transact(["reference"], "readwrite", function (store) { return request(store.put(data)); })
      .then(changed);
  }

  function getReference(user) {
    return transact(["reference"], "readonly", function (store) { return request(store.get(user)); });
  }

  // Logout on a shared phone: the user's reference data, their records if discarded, the session.
  function forget(user, discardRecords) {
    return transact(["outbox", "reference", "meta"], "readwrite", function (outbox, reference, meta) {
      reference.clear();
      meta.delete("session");
      return request(outbox.getAll()).then(function (all) {
        all.forEach(function (r) {
          if (r.user === user && (discardRecords || !pending(r) && r.state !== "refused")) outbox.delete(r.id);
        });
      });
    }).then(changed);
  }

  function read(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") === -1) return Promise.resolve(null);
    return response.json().catch(function () { return null; });
  }

  // One record to the server. Returns "saved", "refused", "later" (kept waiting: server error)
  // or "stop" (no connection, signed out: the rest waits too).
  function sendOne(record, session) {
    var body = Object.assign({}, record.payload, { recorded_at: record.created_at });
    return update(record.id, { state: "sending", attempts: (record.attempts || 0) + 1 }).then(function () {
      return fetch("/offline/send/" + record.kind + "/", {
        method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store",
        headers: {
          "Content-Type": "application/json", "Accept": "application/json",
          "Idempotency-Key": record.id, "X-CSRFToken": session.csrf,
        },
        body: JSON.stringify(body),
      });
    }).then(function (response) {
      return read(response).then(function (answer) {
        if (response.ok && answer && answer.state === "saved") {
          return update(record.id, { state: "saved", result: answer, message: "", errors: {},
                                     saved_at: new Date().toISOString() }).then(function () { return "saved"; });
        }
        if (answer && answer.state === "refused") {
          return update(record.id, { state: "refused", message: answer.message || "", errors: answer.errors || {},
                                     differences: answer.differences || [] }).then(function () { return "refused"; });
        }
        if (response.status === 422 && answer && answer.non_field_errors) {
          // The key was used before for something else (the server's idempotency register).
          return update(record.id, { state: "refused", message: answer.non_field_errors.join(" "), errors: {} })
            .then(function () { return "refused"; });
        }
        var stop = response.status < 500;  // signed out, CSRF token of an old session
        return update(record.id, { state: "waiting", message: (answer && answer.message) || "" })
          .then(function () { return stop ? "stop" : "later"; });
      });
    }, function () {
      return update(record.id, { state: "waiting" }).then(function () { return "stop"; });
    });
  }

  function sendAll() {
    return getMeta("session").then(function (session) {
      if (!session) return { sent: 0 };
      return records(session.user).then(function (list) {
        var todo = list.filter(pending);
        var sent = 0;
        // In the order they were made, one at a time; a refusal does not stop the rest.
        return todo.reduce(function (chain, record) {
          return chain.then(function (stopped) {
            if (stopped) return true;
            return sendOne(record, session).then(function (outcome) {
              if (outcome === "saved") sent += 1;
              return outcome === "stop";
            });
          });
        }, Promise.resolve(false)).then(function () { return { sent: sent }; });
      });
    });
  }

  // Two tabs and the service worker may all try at once: one sends, the others skip (the
  // server's idempotency would hold anyway).
  function sync() {
    if (global.navigator && navigator.locks && navigator.locks.request) {
      return navigator.locks.request(LOCK, { ifAvailable: true }, function (lock) {
        return lock ? sendAll() : { sent: 0, busy: true };
      });
    }
    return sendAll();
  }

  global.MHAOffline = {
    add: add, update: update, get: get, remove: remove, records: records, pending: pending,
    putMeta: putMeta, getMeta: getMeta, putReference: putReference, getReference: getReference,
    forget: forget, sync: sync, sendOne: sendOne, channel: channel,
  };
})(self);
