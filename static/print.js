// Print buttons: hidden without JavaScript (the browser's own Print works there), shown and wired here, since the
// content security policy allows no inline script.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
