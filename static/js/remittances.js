// Ledger pages: after a contribution is saved, bring the receipt link into view on a phone.
(function () {
  "use strict";
  var link = document.querySelector("[data-testid=receipt-link]");
  if (link) { link.scrollIntoView({block: "center"}); link.focus(); }
})();
