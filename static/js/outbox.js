/* On every page of a signed-in user: the service worker, the outbox badge, sending the outbox
   (on load, on "online", on a timer, and Background Sync where the browser has it), the
   reference data of the offline forms, persistent storage, and the logout guard. The Outbox page
   (offline/outbox.html) is drawn here too. Strings come translated from the page (data-*). */
(function () {
  "use strict";
  var root = document.querySelector("[data-outbox]");
  if (!root || !window.indexedDB || !window.MHAOffline) return;
  var store = window.MHAOffline;
  var user = parseInt(root.dataset.user, 10);
  var TIMER_MS = 30000;
  var LOW_STORAGE_BYTES = 20 * 1024 * 1024;
  var strings = {};
  var stringsNode = document.getElementById("outbox-strings");
  if (stringsNode) strings = JSON.parse(stringsNode.textContent);

  function t(key, fallback) { return strings[key] || root.dataset[key] || fallback || key; }

  var registration = null;

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(null);
    return navigator.serviceWorker.register(root.dataset.worker, { scope: "/" }).then(function (reg) {
      registration = reg;
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (reg.active && navigator.onLine && warmDue()) reg.active.postMessage({ type: "warm" });
      return reg;
    }).catch(function () { return null; });
  }

  // The worker re-fetches the offline pages (in the user's language) at most once an hour, not on
  // every page: a 2G line has better things to carry.
  var WARM_KEY = "mha-offline-warm";
  var WARM_MS = 60 * 60 * 1000;
  function warmDue() {
    var mark = user + "|" + document.documentElement.lang;
    var last = {};
    try { last = JSON.parse(localStorage.getItem(WARM_KEY) || "{}"); } catch (e) { last = {}; }
    if (last.mark === mark && Date.now() - last.at < WARM_MS) return false;
    try { localStorage.setItem(WARM_KEY, JSON.stringify({ mark: mark, at: Date.now() })); } catch (e) { return true; }
    return true;
  }

  // The lists are fetched again on the offline pages, after records were sent, and otherwise at
  // most every 15 minutes.
  var REFERENCE_MS = 15 * 60 * 1000;
  var offlinePage = location.pathname.indexOf("/offline/") === 0;
  function referenceDue(force) {
    if (force || offlinePage) return Promise.resolve(true);
    return store.getReference(user).then(function (kept) {
      return !kept || Date.now() - new Date(kept.fetched_at).getTime() > REFERENCE_MS;
    });
  }

  function refreshReference(force) {
    if (!navigator.onLine) return Promise.resolve(null);
    return referenceDue(force).then(function (due) {
      return due ? fetchReference() : null;
    });
  }

  function fetchReference() {
    return fetch(root.dataset.reference, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      return data && data.user === user ? store.putReference(data).then(function () { return data; }) : null;
    }).catch(function () { return null; });
  }

  var syncing = null;
  function sync() {
    if (syncing) return syncing;
    syncing = store.sync().then(function (outcome) {
      return refreshReference(outcome && outcome.sent > 0).then(function () { return outcome; });
    }).catch(function () { return null; }).then(function (outcome) {
      syncing = null;
      draw();
      return outcome;
    });
    return syncing;
  }

  // After a record is saved on the phone: Background Sync where there is one, and try now.
  function queued() {
    if (registration && registration.sync) {
      registration.sync.register("mha-outbox").catch(function () { return null; });
    }
    draw();
    if (navigator.onLine) return sync();
    return Promise.resolve(null);
  }

  function askPersistence() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (done) { return done || navigator.storage.persist(); })
        .catch(function () { return null; });
    }
  }

  function storageState() {
    if (!navigator.storage || !navigator.storage.estimate) return Promise.resolve({ low: false });
    return navigator.storage.estimate().then(function (e) {
      var free = (e.quota || 0) - (e.usage || 0);
      return { low: e.quota ? free < LOW_STORAGE_BYTES : false, free: free };
    }).catch(function () { return { low: false }; });
  }

  // --- the badge ------------------------------------------------------------------------

  function drawBadge(list) {
    var count = list.filter(function (r) { return store.pending(r) || r.state === "refused"; }).length;
    var badge = root.querySelector("[data-outbox-count]");
    if (!badge) return;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    root.classList.toggle("outbox-refused", list.some(function (r) { return r.state === "refused"; }));
  }

  // --- the Outbox page ------------------------------------------------------------------

  var list = document.getElementById("outbox-list");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function when(iso) {
    try { return new Date(iso).toLocaleString(document.documentElement.lang || undefined); } catch (e) { return iso; }
  }

  function drawRecord(record) {
    var item = el("li", { "class": "outbox-record outbox-" + record.state, "data-record": record.id,
                          "data-state": record.state });
    var head = el("p", { "class": "outbox-summary" });
    head.appendChild(el("strong", {}, t("kind_" + record.kind, record.kind) + ": "));
    head.appendChild(document.createTextNode(record.summary || ""));
    item.appendChild(head);
    var state = el("p", { "class": "outbox-state", "data-testid": "record-state" });
    state.appendChild(el("span", { "class": "state-label" }, t("state_" + record.state, record.state)));
    state.appendChild(document.createTextNode(" · " + t("made_on", "Made") + " " + when(record.created_at)));
    item.appendChild(state);
    if (record.state === "saved" && record.result) {
      var receipt = el("p", { "class": "outbox-receipt", "data-testid": "record-receipt" });
      var link = el("a", { href: record.result.url }, record.result.label || String(record.result.number));
      receipt.appendChild(link);
      if (record.result.verification_code) {
        receipt.appendChild(document.createTextNode(" · " + t("verification", "Verification code") + ": "));
        receipt.appendChild(el("code", { "data-testid": "verification-code" }, record.result.verification_code));
      }
      if (record.result.posted_at) {
        receipt.appendChild(document.createTextNode(" · " + t("reached", "Reached the ledger") + " " +
                                                    when(record.result.posted_at)));
      }
      item.appendChild(receipt);
    }
    if (record.message) {
      item.appendChild(el("p", { "class": record.state === "refused" ? "error" : "hint", "role": "alert",
                                 "data-testid": "record-message" }, record.message));
    }
    (record.differences || []).forEach(function (d) {
      item.appendChild(el("p", { "class": "hint", "data-testid": "record-difference" }, (d.label || d.field) + ": " + t("device", "phone") + " “" + d.device +
                          "”, " + t("server", "server") + " “" + d.server + "”"));
    });
    if (record.state === "refused" || record.state === "waiting") {
      var actions = el("p", { "class": "outbox-actions" });
      if (record.state === "refused") {
        var correct = el("a", { "class": "button-small", href: t("form_" + record.kind) + "?record=" +
                                encodeURIComponent(record.id) }, t("correct", "Correct"));
        actions.appendChild(correct);
        var resend = el("button", { type: "button", "class": "button-small", "data-action": "resend" }, t("resend", "Send again"));
        actions.appendChild(resend);
      }
      actions.appendChild(el("button", { type: "button", "class": "button-small button-danger", "data-action": "discard" },
                             t("discard", "Discard")));
      item.appendChild(actions);
    }
    return item;
  }

  function drawPage(records, reference, storage) {
    if (!list) return;
    list.replaceChildren.apply(list, records.slice().reverse().map(drawRecord));
    var counts = { waiting: 0, sending: 0, saved: 0, refused: 0 };
    records.forEach(function (r) { counts[r.state] = (counts[r.state] || 0) + 1; });
    var summary = document.getElementById("outbox-counts");
    if (summary) {
      summary.textContent = t("counts", "%(waiting)s waiting, %(refused)s refused, %(saved)s saved")
        .replace("%(waiting)s", counts.waiting + counts.sending).replace("%(refused)s", counts.refused)
        .replace("%(saved)s", counts.saved);
    }
    var empty = document.getElementById("outbox-empty");
    if (empty) empty.hidden = records.length > 0;
    var fetched = document.getElementById("outbox-reference");
    if (fetched) {
      fetched.textContent = reference ? t("reference", "Lists fetched") + ": " + when(reference.fetched_at)
        : t("no_reference", "No lists on this phone yet: open this page once with a connection.");
    }
    var low = document.getElementById("outbox-low-storage");
    if (low) low.hidden = !storage.low;
    var online = document.getElementById("outbox-connection");
    if (online) online.textContent = navigator.onLine ? t("online", "Connected") : t("offline", "No connection");
  }

  function draw() {
    return Promise.all([store.records(user), store.getReference(user), storageState()]).then(function (got) {
      drawBadge(got[0]);
      drawPage(got[0], got[1], got[2]);
    }).catch(function () { return null; });
  }

  if (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) return;
      var id = button.closest("[data-record]").dataset.record;
      if (button.dataset.action === "resend") {
        store.update(id, { state: "waiting", message: "" }).then(queued);
      } else if (button.dataset.action === "discard" && window.confirm(t("confirm_discard", "Discard this record? It has not reached the server."))) {
        store.remove(id).then(draw);
      }
    });
    var sendNow = document.getElementById("outbox-send");
    if (sendNow) sendNow.addEventListener("click", function () { sync(); });
    var clear = document.getElementById("outbox-clear-saved");
    if (clear) {
      clear.addEventListener("click", function () {
        store.records(user).then(function (records) {
          return Promise.all(records.filter(function (r) { return r.state === "saved"; })
            .map(function (r) { return store.remove(r.id); }));
        }).then(draw);
      });
    }
  }

  // --- logout ---------------------------------------------------------------------------

  function forgetPages() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("mha-pages-") === 0; })
        .map(function (n) { return caches.delete(n); }));
    });
  }

  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.cleared === "yes") return;
      event.preventDefault();
      store.records(user).then(function (records) {
        var waiting = records.filter(function (r) { return store.pending(r) || r.state === "refused"; }).length;
        if (waiting && !window.confirm(t("confirm_logout", "Records wait to be sent: {count}. Log out and discard them?")
          .replace("{count}", waiting))) {
          return false;
        }
        try { localStorage.removeItem(WARM_KEY); } catch (e) { /* private mode: nothing kept */ }
        return store.forget(user, waiting > 0).then(forgetPages).then(function () { return true; });
      }).catch(function () { return true; }).then(function (go) {
        if (!go) return;
        form.dataset.cleared = "yes";
        form.submit();
      });
    });
  });

  // --- start ----------------------------------------------------------------------------

  window.MHAOutbox = { queued: queued, sync: sync, draw: draw, user: user, refreshReference: refreshReference };

  window.MHAOutbox.ready = store.getMeta("session").then(function (previous) {
    // Another person signed in on this phone: the lists of the previous one go.
    return previous && previous.user !== user ? store.forget(previous.user, false).then(forgetPages) : null;
  }).then(function () {
    return store.putMeta("session", { user: user, csrf: root.dataset.csrf });
  }).then(function () {
    askPersistence();
    registerWorker();
    return navigator.onLine ? sync() : draw();
  }).catch(function () { return null; });

  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", draw);
  window.addEventListener("mha-outbox-changed", draw);
  if (store.channel) store.channel.addEventListener("message", draw);
  setInterval(function () {
    if (!navigator.onLine) return;
    store.records(user).then(function (records) { if (records.some(store.pending)) sync(); });
  }, TIMER_MS);
})();
