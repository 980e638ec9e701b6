/* Household form: "Add another member" appends an empty member block (the page works without it:
   save, then edit to add more). */
(function () {
  "use strict";
  var button = document.querySelector("[data-add-member]");
  var template = document.getElementById("member-template");
  var total = document.querySelector("input[name='members-TOTAL_FORMS']");
  if (!button || !template || !total) { return; }
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var block = holder.firstElementChild;
    button.parentNode.insertBefore(block, button);
    total.value = String(index + 1);
    var first = block.querySelector("input, select");
    if (first) { first.focus(); }
  });
})();
