/* Training pages: filter the attendance register as you type, count who is ticked, and show the
   running total of the survey's spending shares. Every page works without it. */
(function () {
  "use strict";

  document.querySelectorAll("[data-roster-filter]").forEach(function (input) {
    var table = document.querySelector(input.dataset.rosterFilter);
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var text = row.dataset.search || "";
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.classList.toggle("filtered-out", !match);
      });
    });
    // Enter in the search box must not submit the register.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  });

  var counter = document.querySelector("[data-present-count]");
  var form = document.getElementById("attendance-form");
  if (counter && form) {
    var template = counter.textContent.replace(/\d+/, "{n}");
    var update = function () {
      var n = form.querySelectorAll("input[name=present]:checked").length;
      counter.textContent = template.replace("{n}", String(n));
    };
    form.addEventListener("change", update);
  }

  document.querySelectorAll("form[data-shares]").forEach(function (sharesForm) {
    var inputs = sharesForm.querySelectorAll("input[data-share]");
    var total = sharesForm.querySelector("[data-share-total]");
    var sum = function () {
      var value = 0;
      inputs.forEach(function (input) { value += parseInt(input.value || "0", 10) || 0; });
      total.textContent = String(value);
      total.classList.toggle("error", value !== 100 && value !== 0);
    };
    inputs.forEach(function (input) { input.addEventListener("input", sum); });
    sum();
  });
})();
