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

// A page's list of its own sections (nav[data-marks-current]: the consultation's jump list) marks the one the
// user is at with aria-current: the section of the field in view that has the keyboard, else the first section
// with more than a strip of it below where the list sticks (its CSS `top`, below any bar that stays on top); at
// the foot of the page, the last one shown.
(function () {
  "use strict";
  var nav = document.querySelector("nav[data-marks-current]");
  if (!nav) { return; }
  var links = Array.prototype.slice.call(nav.querySelectorAll("a[href^='#']"));
  var sectionOf = function (link) { return document.getElementById(link.getAttribute("href").slice(1)); };

  // A text box, list or tick box with the keyboard, in view below `line` (one scrolled up under the bars that
  // stay on top is behind the user, even with the keyboard still in it).
  function fieldInView(line) {
    var active = document.activeElement;
    if (!active || !active.matches || !active.matches("input, textarea, select")) { return null; }
    var box = active.getBoundingClientRect();
    return box.bottom > line && box.top < window.innerHeight ? active : null;
  }

  function current() {
    var top = parseFloat(getComputedStyle(nav).top) || 0;
    // A section scrolled almost past (a strip of it left under the bar) is behind the user.
    var line = top + Math.min(120, (window.innerHeight - top) * 0.15);
    var field = fieldInView(line);
    var typing = field && links.find(function (link) {
      var section = sectionOf(link);
      return section && section.contains(field);
    });
    if (typing) { return typing; }
    var root = document.documentElement;
    if (window.innerHeight + window.scrollY >= root.scrollHeight - 4) {
      var shown = links.filter(function (link) {
        var section = sectionOf(link);
        return section && section.getBoundingClientRect().top < window.innerHeight;
      });
      return shown[shown.length - 1] || links[0];
    }
    return links.find(function (link) {
      var section = sectionOf(link);
      return section && section.getBoundingClientRect().bottom > line;
    }) || links[links.length - 1];
  }

  function mark() {
    var now = current();
    links.forEach(function (link) {
      if (link === now) {
        link.setAttribute("aria-current", "location");
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; mark(); });
  }
  window.addEventListener("scroll", soon, { passive: true });
  window.addEventListener("resize", soon);
  document.addEventListener("focusin", soon);
  document.addEventListener("htmx:afterSettle", soon);
  window.addEventListener("load", soon);
  mark();
})();

// "?" on a staff page, when not typing: the keyboard shortcuts (the user menu's link, opened in the task dialog).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "?" || event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) { return; }
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) { return; }
    var link = document.querySelector("a[data-keys]");
    if (!link || document.querySelector("dialog[open]")) { return; }
    event.preventDefault();
    link.click();
  });
})();
