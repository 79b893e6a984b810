// The cashier's payment form (billing/invoice.html): its fields follow the method (cash asks what was handed
// over, any other method its reference) and the change shows while the cashier types. The server still works the
// change out and refuses too little cash; without this script every field is shown.
(function () {
  "use strict";
  var form = document.querySelector("form[data-payment-form]");
  if (!form) { return; }
  var digits = Number(form.getAttribute("data-minor-digits")) || 0;
  var code = form.getAttribute("data-currency") || "";
  var tenderedBox = form.querySelector(".pay-tendered");
  var referenceBox = form.querySelector(".pay-reference");
  var change = form.querySelector(".pay-change");

  // "1,250.50" -> 125050 minor units; NaN when it doesn't read.
  function minor(text) {
    var clean = String(text || "").replace(/,/g, "").trim();
    if (!/^\d+(\.\d*)?$/.test(clean)) { return NaN; }
    var parts = clean.split(".");
    var fraction = (parts[1] || "").padEnd(digits, "0");
    if (fraction.length > digits) { return NaN; }
    return Number(parts[0]) * Math.pow(10, digits) + Number(fraction || "0");
  }

  function money(units) {
    var major = (units / Math.pow(10, digits)).toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    });
    return code + "\u00a0" + major;
  }

  function update() {
    var method = form.querySelector("input[name=method]:checked");
    var cash = !method || method.value === "cash";
    if (tenderedBox) { tenderedBox.hidden = !cash; }
    if (referenceBox) { referenceBox.hidden = cash; }
    if (!change) { return; }
    var amount = minor(form.elements.amount.value);
    var tendered = minor(form.elements.tendered.value);
    if (!cash || isNaN(amount) || isNaN(tendered) || tendered === 0) {
      change.hidden = true;
      return;
    }
    change.hidden = false;
    change.textContent = tendered >= amount
      ? "Change to give: " + money(tendered - amount)
      : "That is " + money(amount - tendered) + " short of the amount.";
    change.classList.toggle("pay-short", tendered < amount);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
