// Choosing students for the portal password sheet: "tick all", the count on the issue button, one press only.
// (The sheet's Print button is print.js's.)
(function () {
  "use strict";
  var form = document.getElementById("sheet-form");
  if (!form) { return; }
  var picks = Array.prototype.slice.call(form.querySelectorAll("input.pick"));
  var all = document.getElementById("tick-all");
  var count = document.getElementById("issue-count");
  function update() {
    var ticked = picks.filter(function (p) { return p.checked; }).length;
    if (count) { count.textContent = String(ticked); }
    var noun = document.getElementById("issue-noun");
    if (noun) { noun.textContent = ticked === 1 ? "student" : "students"; }
    if (all) {
      all.checked = ticked === picks.length;
      all.indeterminate = ticked > 0 && ticked < picks.length;
    }
  }
  if (all) {
    all.closest("label").hidden = false;
    all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      update();
    });
  }
  picks.forEach(function (p) { p.addEventListener("change", update); });
  form.addEventListener("submit", function () {
    var button = document.getElementById("issue-button");
    if (button) {
      // A second press would be refused anyway (the form's token is used once); say that it is working.
      window.setTimeout(function () { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
    }
  });
  update();
})();
