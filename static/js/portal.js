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

  // Destructive actions ask first: <form data-confirm="Really?">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
