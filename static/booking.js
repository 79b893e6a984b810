// The slot picker: the book bar names the time just chosen ("Tue 1 Dec · 09:40", then "Dr Bello" on a line of its
// own), and says "Choose a time first." when Book is pressed before one is (instead of the browser's bubble; the
// times take the focus). The page works without this file (the form posts the chosen radio button, the browser's
// own check stops an empty one); the CSP allows no inline script, hence a file of its own.
function bookSummary(input) {
  if (!(input instanceof HTMLInputElement) || input.name !== "slot_id" || !input.form) return null;
  return input.form.querySelector("#book-summary");
}

document.addEventListener("change", function (event) {
  var summary = bookSummary(event.target);
  if (!summary) return;
  if (event.target.dataset.summary) summary.textContent = event.target.dataset.summary;
  summary.classList.remove("book-summary-missing");
  summary.removeAttribute("role");
});

document.addEventListener("invalid", function (event) {
  var summary = bookSummary(event.target);
  if (!summary) return;
  event.preventDefault();
  if (summary.classList.contains("book-summary-missing")) return;
  summary.textContent = "Choose a time first.";
  summary.classList.add("book-summary-missing");
  summary.setAttribute("role", "alert");
  event.target.form.querySelector("input[name=slot_id]").focus();
}, true);

// A day chosen: its times come in below the days, out of sight on a phone. Once they are in, the page scrolls to
// them (only when they are below the screen's upper half; the focus stays on the day). Without this file the
// times are where they are.
var lastChanged = "";
document.addEventListener("change", function (event) {
  lastChanged = event.target instanceof HTMLInputElement ? event.target.name : "";
});
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.target.id !== "picker" || lastChanged !== "day") return;
  lastChanged = "";
  var heading = document.getElementById("slots-heading");
  if (heading && heading.getBoundingClientRect().top > window.innerHeight / 2) {
    heading.scrollIntoView({ block: "start" });
  }
});
