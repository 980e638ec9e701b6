/* The four offline forms (offline/templates/offline/*.html). Their choices come from the reference
   data kept on the phone; saving puts a record in the outbox (offline-store.js), which outbox.js
   sends. With ?record=<id> the form corrects a record the server refused, keeping its id (its
   Idempotency-Key: nothing was written for it). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-form]");
  if (!form || !window.MHAOffline || !window.MHAOutbox) return;
  var store = window.MHAOffline;
  var kind = form.dataset.offlineForm;
  var status = document.getElementById("offline-status");
  var strings = JSON.parse(document.getElementById("offline-form-strings").textContent);
  var reference = null;
  var editing = new URLSearchParams(location.search).get("record");

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "message message-success";
  }

  function today() {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 10);
  }

  function option(value, label) {
    var node = document.createElement("option");
    node.value = value;
    node.textContent = label;
    return node;
  }

  // --- choices from the reference data --------------------------------------------------

  var LABELS = {
    associations: function (a) { return a.name; },
    funds: function (f) { return f.name; },
    households: function (h) { return h.code + (h.name ? " — " + h.name : ""); },
    jamoat_households: function (h) { return h.code + (h.name ? " — " + h.name : ""); },
    villages: function (v) { return v.name; },
    jamoats: function (j) { return j.name; },
    sessions: function (s) { return s.date.split("-").reverse().join(".") + " — " + s.name + ", " + s.venue; },
    people: function (p) { return p.name + " (" + p.household + ", " + p.birth_year + ")"; },
  };

  function filtered(select) {
    var items = (reference && reference[select.dataset.ref]) || [];
    var by = select.dataset.refFilter;
    if (by) {
      var source = form.elements[by];
      var wanted = source ? source.value : "";
      var key = select.dataset.refKey || by;
      if (key === "session_jamoat") {
        var session = (reference.sessions || []).find(function (s) { return String(s.id) === wanted; });
        wanted = session ? String(session.jamoat) : "";
        key = "jamoat";
      }
      items = items.filter(function (item) { return String(item[key]) === wanted; });
    }
    var search = form.querySelector("[data-search-for='" + select.name + "']");
    if (search && search.value.trim()) {
      var needle = search.value.trim().toLowerCase();
      items = items.filter(function (item) { return LABELS[select.dataset.ref](item).toLowerCase().indexOf(needle) !== -1; });
    }
    return items;
  }

  function fillSelect(select) {
    var previous = select.value;
    var items = filtered(select);
    var nodes = [];
    if (select.dataset.empty !== undefined) nodes.push(option("", select.dataset.empty));
    items.forEach(function (item) { nodes.push(option(item.id, LABELS[select.dataset.ref](item))); });
    select.replaceChildren.apply(select, nodes);
    if (previous && items.some(function (i) { return String(i.id) === previous; })) select.value = previous;
    else if (select.dataset.ref === "funds") {
      var general = items.find(function (f) { return f.general; });
      if (general) select.value = String(general.id);
    }
  }

  function fillChecks(box) {
    var name = box.dataset.name;
    var ticked = new Set(Array.prototype.map.call(box.querySelectorAll("input:checked"), function (i) { return i.value; }));
    var nodes = filtered(box).map(function (item) {
      var id = name + "-" + item.id;
      var wrap = document.createElement("div");
      wrap.className = "check";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.name = name;
      input.value = String(item.id);
      input.id = id;
      input.checked = ticked.has(input.value);
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = LABELS[box.dataset.ref](item);
      wrap.appendChild(input);
      wrap.appendChild(label);
      return wrap;
    });
    box.replaceChildren.apply(box, nodes);
  }

  function fillAll() {
    form.querySelectorAll("select[data-ref]").forEach(fillSelect);
    form.querySelectorAll("[data-ref][data-name]").forEach(fillChecks);
    rateHint();
  }

  function fillDependents(name) {
    form.querySelectorAll("[data-ref-filter='" + name + "']").forEach(function (node) {
      if (node.tagName === "SELECT") fillSelect(node); else fillChecks(node);
    });
  }

  // Choosing a household to change: its fields as the phone knows them, and that snapshot is sent
  // along ("seen") so that the server can refuse the change if the household changed since.
  var seen = null;
  function known(select) {
    return ((reference && reference[select.dataset.ref]) || []).find(function (i) { return String(i.id) === select.value; });
  }
  function snapshot(select, item) {
    if (!item) return null;
    var taken = { updated_at: item.updated_at };
    select.dataset.fills.split(" ").forEach(function (name) { taken[name] = item[name]; });
    return taken;
  }
  function chosen(select) {
    var item = known(select);
    seen = snapshot(select, item);
    select.dataset.fills.split(" ").forEach(function (name) {
      if (item && form.elements[name]) form.elements[name].value = item[name];
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name) fillDependents(event.target.name);
    if (event.target.dataset.fills !== undefined) chosen(event.target);
    rateHint();
  });
  form.querySelectorAll("[data-search-for]").forEach(function (search) {
    search.addEventListener("input", function () {
      var select = form.elements[search.dataset.searchFor];
      if (select && select.tagName === "SELECT") fillSelect(select);
      else fillChecks(form.querySelector("[data-name='" + search.dataset.searchFor + "']"));
    });
  });

  // A contribution in a foreign currency on a date with no known rate: the server decides, but say so.
  function rateHint() {
    var hint = document.getElementById("rate-hint");
    if (!hint || !reference) return;
    var currency = form.elements.currency.value;
    var day = form.elements.entry_date.value;
    var known = (reference.rate_dates || {})[currency] || [];
    hint.hidden = currency === "TJS" || !day || known.indexOf(day) !== -1 ||
      known.some(function (d) { return d <= day; });
  }

  // --- household members ----------------------------------------------------------------

  var memberList = document.getElementById("members");
  var memberTemplate = document.getElementById("member-template");
  var memberCount = 0;

  function addMember(values) {
    memberCount += 1;
    var row = memberTemplate.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[data-field]").forEach(function (input) {
      var id = "member-" + memberCount + "-" + input.dataset.field;
      input.id = id;
      var label = row.querySelector("label[data-for='" + input.dataset.field + "']");
      if (label) label.htmlFor = id;
      if (values && values[input.dataset.field] !== undefined) input.value = values[input.dataset.field];
    });
    var legend = row.querySelector("legend");
    if (legend) legend.textContent = strings.member + " " + memberCount;
    row.querySelector("[data-remove-member]").addEventListener("click", function () {
      if (memberList.children.length > 1) row.remove();
    });
    memberList.appendChild(row);
  }

  if (memberList) {
    document.getElementById("add-member").addEventListener("click", function () { addMember(); });
  }

  // --- reading and filling the form -----------------------------------------------------

  function payloadOf() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.closest("[data-member]") || input.dataset.searchFor !== undefined) return;
      if (input.type === "checkbox") {
        data[input.name] = data[input.name] || [];
        if (input.checked) data[input.name].push(input.value);
      } else {
        data[input.name] = input.value;
      }
    });
    if (seen) data.seen = seen;
    if (memberList) {
      data.members = Array.prototype.map.call(memberList.querySelectorAll("[data-member]"), function (row) {
        var member = {};
        row.querySelectorAll("[data-field]").forEach(function (input) { member[input.dataset.field] = input.value; });
        return member;
      });
    }
    return data;
  }

  function textOf(name) {
    var input = form.elements[name];
    if (!input) return "";
    if (input.tagName === "SELECT") return input.selectedIndex >= 0 ? input.options[input.selectedIndex].textContent : "";
    return input.value;
  }

  function summaryOf(data) {
    if (kind === "contribution") {
      return data.amount + " " + data.currency + " · " + textOf("payer") + " · " + data.entry_date;
    }
    if (kind === "attendance") {
      return textOf("session") + " · " + strings.people.replace("%s", data.members.length);
    }
    if (kind === "household_edit") return textOf("household") + " · " + textOf("status");
    if (kind === "household") {
      var head = data.members.find(function (m) { return m.relation === "head"; }) || data.members[0] || {};
      return [head.last_name, head.first_name].join(" ") + " · " + textOf("village");
    }
    return (data.person_name || textOf("member")) + " · " + textOf("topic") + " · " + data.date;
  }

  function fill(payload) {
    Object.keys(payload).forEach(function (name) {
      if (name === "members" && memberList) {
        memberList.replaceChildren();
        payload.members.forEach(addMember);
        return;
      }
      if (name === "seen") {
        // Corrected after a refusal: the change now rests on the household as last fetched.
        var select = form.querySelector("[data-fills]");
        seen = snapshot(select, known(select)) || payload.seen;
        return;
      }
      var value = payload[name];
      var input = form.elements[name];
      if (Array.isArray(value)) {
        form.querySelectorAll("input[name='" + name + "']").forEach(function (box) {
          box.checked = value.indexOf(box.value) !== -1;
        });
      } else if (input) {
        input.value = value;
        fillDependents(name);
      }
    });
  }

  function resetForm() {
    form.reset();
    seen = null;
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      input.value = today();
      input.max = today();
    });
    if (memberList) {
      memberList.replaceChildren();
      memberCount = 0;
      addMember({ relation: "head" });
    }
    fillAll();
  }

  function receiptText(record) {
    if (!record || record.state !== "saved") return "";
    var text = record.result.label;
    if (record.result.verification_code) text += " · " + strings.verification + ": " + record.result.verification_code;
    return text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("");
    var payload = payloadOf();
    if (kind === "attendance" && payload.members.length === 0) {
      say(strings.tick_someone, true);
      return;
    }
    var saved = editing
      ? store.update(editing, { payload: payload, summary: summaryOf(payload), state: "waiting", message: "",
                                errors: {}, differences: [] })
      : store.add({ kind: kind, user: window.MHAOutbox.user, payload: payload, summary: summaryOf(payload) });
    saved.then(function (record) {
      say(strings.saved_on_phone);
      if (editing) {
        window.MHAOutbox.queued().then(function () { location.href = form.dataset.outbox; });
        return null;
      }
      resetForm();
      return window.MHAOutbox.queued().then(function () { return store.get(record.id); }).then(function (now) {
        if (now && now.state === "saved") say(strings.saved_on_server + " " + receiptText(now));
        else if (now && now.state === "refused") say(strings.refused + " " + now.message, true);
      });
    }).catch(function (error) {
      // Near the quota Chrome's IndexedDB fails with AbortError rather than QuotaExceededError.
      say(strings.not_saved + " " + (error && error.name ? error.name : ""), true);
    });
  });

  // --- start ----------------------------------------------------------------------------

  window.MHAOutbox.ready.then(function () {
    return store.getReference(window.MHAOutbox.user);
  }).then(function (data) {
    reference = data;
    if (!data) say(strings.no_reference, true);
    resetForm();
    form.querySelector("[data-offline-fields]").disabled = false;
    if (!editing) return null;
    return store.get(editing).then(function (record) {
      if (!record) { editing = null; return; }
      fill(record.payload);
      var errors = Object.keys(record.errors || {}).map(function (field) { return record.errors[field].join(" "); });
      say(record.message + (errors.length ? " " : "") + errors.join(" "), record.state === "refused");
    });
  });
})();
