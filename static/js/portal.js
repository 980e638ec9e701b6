/* Small progressive enhancements; every page works without them. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // A second click while the first submission is on its way would post twice on a slow line.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted === "yes") { event.preventDefault(); return; }
      form.dataset.submitted = "yes";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });

  // A table wider than a phone scrolls inside its .table-wrap; keyboard users can only scroll it
  // if the wrapper takes focus, and a focusable region needs a name (WCAG 2.1.1, 4.1.2). Every
  // table goes through this one wrapper, so doing it here covers them all.
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (!wrap.hasAttribute("tabindex")) { wrap.setAttribute("tabindex", "0"); }
    if (!wrap.hasAttribute("role")) { wrap.setAttribute("role", "region"); }
    if (wrap.hasAttribute("aria-label") || wrap.hasAttribute("aria-labelledby")) { return; }
    var caption = wrap.querySelector("caption");
    var heading = null;
    for (var node = wrap; node && !caption && !heading; node = node.parentElement) {
      for (var prev = node.previousElementSibling; prev && !heading; prev = prev.previousElementSibling) {
        heading = prev.matches("h1, h2, h3, h4") ? prev : prev.querySelector("h1, h2, h3, h4");
      }
    }
    var label = (caption || heading || document.querySelector("h1") || document.createElement("span")).textContent;
    wrap.setAttribute("aria-label", label.replace(/\s+/g, " ").trim() || document.title);
  });

  // Destructive actions ask first: <form data-confirm="Really?">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // Phones: a table becomes stacked cards whose cells read "label: value"; the label comes from
  // the column header when the template did not give the cell a data-label.
  document.querySelectorAll(".table-wrap table").forEach(function (table) {
    var headers = [];
    table.querySelectorAll("thead tr:last-child th").forEach(function (th) {
      var span = parseInt(th.getAttribute("colspan") || "1", 10);
      for (var i = 0; i < span; i++) { headers.push(th.textContent.trim()); }
    });
    if (!headers.length) { return; }
    table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (!cell.hasAttribute("data-label") && headers[column] !== undefined) {
          cell.setAttribute("data-label", headers[column]);
        }
        column += parseInt(cell.getAttribute("colspan") || "1", 10);
      });
    });
  });

  // Filters fold behind one "Filter" button so results come first. Templates may write the
  // <details class="filter-fold"> themselves (then it works without JS too); other search forms
  // are folded here. Open on wide screens, and whenever a filter is in use on a wide screen.
  var filterLabel = document.body.getAttribute("data-filter-label") || "Filter";
  var wide = window.matchMedia("(min-width: 601px)").matches;
  document.querySelectorAll("main form").forEach(function (form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "get") { return; }
    var fields = form.querySelectorAll("input:not([type=hidden]):not([type=submit]), select");
    var searchForm = form.matches(".search-bar, .household-filters, [role=search]");
    if (!searchForm && fields.length < 2) { return; }
    if (form.closest(".filter-fold, .picker") || form.classList.contains("picker-page")) { return; }
    var used = 0;
    fields.forEach(function (field) {
      var set = field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
      if (set && field.name !== "sort") { used++; }
    });
    var details = document.createElement("details");
    details.className = "filter-fold";
    var summary = document.createElement("summary");
    summary.textContent = used ? filterLabel + " (" + used + ")" : filterLabel;
    details.appendChild(summary);
    form.parentNode.insertBefore(details, form);
    details.appendChild(form);
  });
  if (wide) {
    document.querySelectorAll("details.filter-fold").forEach(function (details) { details.open = true; });
  }

  // A register with unsaved ticks asks before the user leaves it by a link (its own buttons save).
  document.querySelectorAll("form[data-dirty-warn]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();
