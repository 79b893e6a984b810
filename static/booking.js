// The slot picker: the book bar names the time just chosen ("Tue 1 Dec · 09:40 · Dr Bello"). The page works without this
// file (the form posts the chosen radio button); the CSP allows no inline script, hence a file of its own.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!(input instanceof HTMLInputElement) || input.name !== "slot_id" || !input.form) return;
  var summary = input.form.querySelector("#book-summary");
  if (summary && input.dataset.summary) summary.textContent = input.dataset.summary;
});
