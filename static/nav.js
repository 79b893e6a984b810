// The staff header on one line (base.html): on a desktop the section row holds as many sections as fit, and
// "More" lists only the ones it could not hold (without this script, "More" lists every section and the row is
// cut off). Sections that wrapped off the row are hidden, so the keyboard never reaches a link nobody sees.
(function () {
  "use strict";
  var row = document.querySelector(".site-header .section-nav");
  var menu = document.querySelector(".site-header .nav-menu");
  if (!row || !menu) { return; }
  var inRow = Array.prototype.slice.call(row.children);
  var inMenu = Array.prototype.slice.call(menu.querySelectorAll(".nav-menu-list > li"));

  // Which sections sit on the row's first line as it is laid out now.
  function measure() {
    var top = inRow.length ? inRow[0].offsetTop : 0;
    return inRow.map(function (item) { return item.offsetTop <= top + 1; });
  }

  function fit() {
    if (getComputedStyle(row).display === "none") { return; } // a phone: the menu holds them all
    inRow.forEach(function (item) { item.classList.remove("nav-overflow"); });
    // Without "More" first: it takes room from the row only when some section does not fit anyway.
    menu.classList.add("all-fit");
    var fits = measure();
    if (fits.indexOf(false) >= 0) {
      menu.classList.remove("all-fit");
      fits = measure();
    }
    fits.forEach(function (fitting, i) {
      inRow[i].classList.toggle("nav-overflow", !fitting);
      if (inMenu[i]) { inMenu[i].classList.toggle("in-row", fitting); }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { cancelAnimationFrame(pending); }
    pending = requestAnimationFrame(fit);
  });
  // Web fonts and the user's name may change widths after the first layout.
  window.addEventListener("load", fit);
  fit();
})();
