/* The person picker as an ARIA 1.2 combobox: type a name in any script, arrow through the
   server's matches, Enter or tap to choose. Without this script the widget shows a link to the
   plain search page instead. */
(function () {
  "use strict";
  var counter = 0;
  var i18n = document.body.dataset;

  function setup(box) {
    var select = box.querySelector("select");
    var url = box.getAttribute("data-search-url");
    var kind = box.getAttribute("data-kind") || "member";
    var jamoat = box.getAttribute("data-jamoat") || "";
    var association = box.getAttribute("data-association") || "";
    if (!select || !url) { return; }
    counter += 1;
    var id = "picker-" + counter;
    var input = document.createElement("input");
    input.type = "text";
    input.id = id + "-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    input.setAttribute("autocomplete", "off");
    input.placeholder = i18n.pickerPlaceholder || "";
    var chosen = select.options[select.selectedIndex];
    input.value = chosen && chosen.value ? chosen.text : "";
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "picker-results";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) { label.htmlFor = input.id; list.setAttribute("aria-label", label.textContent.trim()); }
    if (select.getAttribute("aria-describedby")) { input.setAttribute("aria-describedby", select.getAttribute("aria-describedby")); }
    // The hidden select cannot take focus, so the browser's "required" check moves to the input.
    if (select.required) { input.required = true; select.required = false; }
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    box.insertBefore(input, select);
    box.insertBefore(list, select);
    box.appendChild(status);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    }
    function choose(index) {
      var result = results[index];
      if (!result) { return; }
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === String(result.id); });
      if (!option) { option = new Option(result.label, result.id); select.add(option); }
      select.value = String(result.id);
      input.value = result.label;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = result.label;
      close();
    }
    function render(data) {
      results = data.results;
      list.innerHTML = "";
      results.forEach(function (result, i) {
        var item = document.createElement("li");
        item.id = id + "-option-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "picker-chosen";
        name.textContent = result.label;
        var detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent = " " + result.detail;
        item.appendChild(name);
        item.appendChild(detail);
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(item);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      var message = results.length ? (i18n.pickerFound || "%s").replace("%s", results.length + (data.has_more ? "+" : ""))
        : (i18n.pickerNone || "");
      status.textContent = message;
      active = -1;
    }
    function search() {
      var query = input.value.trim();
      var ticket = ++asked;
      var params = new URLSearchParams({ format: "json", kind: kind, q: query });
      if (jamoat) { params.set("jamoat", jamoat); }
      if (association) { params.set("association", association); }
      fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (ticket === asked) { render(data); } })
        .catch(function () { /* offline: the user can retry by typing */ });
    }
    input.addEventListener("input", function () {
      if (!input.value.trim()) { select.value = ""; }
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (event) {
      var count = results.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        highlight(count ? (active + 1) % count : -1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(count ? (active - 1 + count) % count : -1);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("[data-picker]").forEach(setup);
})();
