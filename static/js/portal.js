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
})();
