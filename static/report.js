// A report's table folds days with nothing to count under one line ("16 days with nothing, …"): the page marks
// itself as folding, which hides those days, and the line's button opens or closes its run.
(function () {
  "use strict";
  document.documentElement.classList.add("folds-quiet-days");
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-opens]");
    if (!button) { return; }
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var rows = document.querySelectorAll('tr[data-run="' + button.getAttribute("data-opens") + '"]');
    Array.prototype.forEach.call(rows, function (row) { row.classList.toggle("quiet-open", open); });
  });
})();
