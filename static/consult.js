// The consultation screen and its review (loaded by templates/consult/visit.html and review.html; the CSP forbids
// inline script):
// 1. "Complete visit" sends what the note boxes hold (draft_<kind>), so a note typed a moment before the click
//    reaches the review, where it is signed or discarded; the server keeps it as the box's draft.
// 2. "Sign and complete" forgets this browser's copies of the visit's notes (forms.js keeps them while they are
//    typed): the review has signed or discarded each.
// 3. The diagnosis field is a combobox over its ICD-10 suggestions: ArrowDown and ArrowUp move through them,
//    Enter adds the highlighted one with its code (Enter with none highlighted adds the words as typed), Escape
//    closes the list.
// 4. Keys 1 to 9 jump to the screen's sections (its jump list, `data-jump-key`) when no field has the keyboard.
// 5. The patient's bar's height, as it wraps, is --consult-bar-h: sections jumped to land below it.
// 6. A section with a note typed and not signed says so in the jump list ("not signed"), as the doctor types
//    and when a draft comes back, so nothing unsigned hides further down the page.
// 7. A section saved by its form ("Added to the prescription.") comes into view when what it says is above
//    the screen, so the doctor sees the line it added rather than the emptied form below it.
// 8. The jump list is the visit so far: each section says how many things it holds (signed notes, diagnoses,
//    orders, items: `data-entries` names them), counted again whenever a section changes.
(function () {
  "use strict";

  // ---- 6. "not signed" in the jump list ------------------------------------------------------------------------
  function markUnsigned() {
    var unsigned = {};
    document.querySelectorAll("textarea[data-draft]").forEach(function (box) {
      var section = box.closest(".consult-sections > section[id]");
      if (section && box.getAttribute("data-draft") !== "addendum" && box.value.trim() !== "") {
        unsigned[section.id] = true;
      }
    });
    document.querySelectorAll("nav.consult-jump a[href^='#']").forEach(function (link) {
      var chip = link.querySelector(".unsigned");
      var wanted = unsigned[link.getAttribute("href").slice(1)] === true;
      if (wanted && !chip) {
        chip = document.createElement("span");
        chip.className = "chip chip-warn unsigned";
        chip.textContent = "not signed";
        link.append(" ", chip);
      } else if (!wanted && chip) {
        chip.remove();
      }
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-draft]")) { markUnsigned(); }
  });
  document.addEventListener("htmx:afterSettle", markUnsigned);
  // After forms.js has put back what this browser kept of the boxes.
  window.addEventListener("load", markUnsigned);
  markUnsigned();

  // ---- 8. The visit so far, in the jump list ---------------------------------------------------------------------
  function countEntries() {
    document.querySelectorAll("nav.consult-jump a[data-entries]").forEach(function (link) {
      var section = document.getElementById(link.getAttribute("href").slice(1));
      var count = section ? section.querySelectorAll(link.getAttribute("data-entries")).length : 0;
      var badge = link.querySelector(".jump-count");
      if (count === 0) {
        if (badge) { badge.remove(); }
        return;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "jump-count";
        link.insertBefore(badge, link.querySelector(".unsigned"));
      }
      var text = String(count);
      if (badge.firstChild === null || badge.firstChild.textContent !== text) {
        badge.textContent = text;
        var words = document.createElement("span");
        words.className = "visually-hidden";
        words.textContent = " recorded";
        badge.append(words);
      }
    });
  }
  document.addEventListener("htmx:afterSettle", countEntries);
  countEntries();

  // ---- 5. The patient's bar's height -------------------------------------------------------------------------
  var bar = document.getElementById("patient-bar");
  if (bar) {
    var measure = function () {
      document.documentElement.style.setProperty("--consult-bar-h", bar.getBoundingClientRect().height + "px");
    };
    measure();
    if (window.ResizeObserver) { new ResizeObserver(measure).observe(bar); }
  }

  // ---- 7. A saved section shows what it says --------------------------------------------------------------------
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || config.verb !== "post") { return; }
    var section = event.target && event.target.closest && event.target.closest(".consult-sections > section");
    var said = section && section.querySelector(".messages .flash-success");
    if (!said) { return; }
    var barBottom = bar ? bar.getBoundingClientRect().bottom : 0;
    if (said.getBoundingClientRect().top < barBottom) { section.scrollIntoView({ block: "start" }); }
  });

  // ---- 1. The note boxes' text goes with "Complete visit" ---------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-carries-drafts]")) { return; }
    form.querySelectorAll("input[data-carried]").forEach(function (old) { old.remove(); });
    document.querySelectorAll("textarea[data-draft]").forEach(function (box) {
      var kind = box.getAttribute("data-draft");
      if (!kind || kind === "addendum") { return; }
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "draft_" + kind;
      field.value = box.value;
      field.setAttribute("data-carried", "");
      form.append(field);
    });
  });

  // ---- 2. "Sign and complete" forgets the browser's copies ---------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var prefix = form.getAttribute && form.getAttribute("data-clears-drafts");
    if (!prefix) { return; }
    try {
      var keys = [];
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("sickbay-draft:" + prefix) === 0) { keys.push(key); }
      }
      keys.forEach(function (key) { window.localStorage.removeItem(key); });
    } catch (e) { /* storage disabled: nothing kept */ }
  });

  // ---- 3. The diagnosis combobox -----------------------------------------------------------------------------
  function listOf(input) {
    return document.getElementById(input.getAttribute("aria-controls"));
  }
  function options(input) {
    var list = listOf(input);
    if (!list || list.hidden) { return []; }
    return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  }
  function highlight(input, option) {
    options(input).forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
      each.classList.toggle("active", each === option);
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function close(input) {
    var list = listOf(input);
    highlight(input, null);
    if (list) { list.hidden = true; }
    input.setAttribute("aria-expanded", "false");
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[role=combobox]")) { return; }
    var all = options(input);
    if (!all.length) { return; }
    var current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        highlight(input, all[(current + 1) % all.length]);
        break;
      case "ArrowUp":
        event.preventDefault();
        highlight(input, current <= 0 ? all[all.length - 1] : all[current - 1]);
        break;
      case "Enter":
        if (current < 0) { return; }
        event.preventDefault();
        // A click, so htmx sends the option's own name and value (picked=CODE) with the form.
        all[current].click();
        break;
      case "Escape":
        event.preventDefault();
        close(input);
        break;
    }
  });

  // New suggestions: the list is open when it has some, and nothing in it is highlighted yet.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector) { return; }
    document.querySelectorAll("input[role=combobox]").forEach(function (input) {
      var list = listOf(input);
      if (!list || !target.contains(list)) { return; }
      input.removeAttribute("aria-activedescendant");
      input.setAttribute("aria-expanded", options(input).length ? "true" : "false");
    });
  });

  // A section's heading takes the focus without moving the page (the callers scroll where they need to).
  function focusHeading(heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }

  // ---- 4. Number keys jump to a section ------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented || !/^[1-9]$/.test(event.key)) { return; }
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) { return; }
    var link = document.querySelector('a[data-jump-key="' + event.key + '"]');
    if (!link) { return; }
    var section = document.getElementById(link.getAttribute("href").slice(1));
    if (!section) { return; }
    event.preventDefault();
    section.scrollIntoView({ block: "start" });
    focusHeading(section.querySelector("h2") || section);
  });

  // A section saved by its form and redrawn took the focus with the button pressed: it goes to the section's
  // folded form or its heading, so Tab goes on from there instead of from the top of the page.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || config.verb !== "post" || (document.activeElement && document.activeElement !== document.body)) { return; }
    var target = event.detail.target;
    var section = target && target.closest && target.closest(".visit-section");
    // The section as it is on the page now (a swap of the whole section replaced the one the request knew).
    var shown = section && document.getElementById(section.id);
    // Its folded form's line first ("Add another medicine"), so Enter opens it again for the next one.
    var line = shown && shown.querySelector("details.fold:not([open]) > summary");
    if (line) {
      line.focus({ preventScroll: true });
      return;
    }
    var heading = shown && shown.querySelector("h2");
    if (heading) { focusHeading(heading); }
  });

  // Escape in a field goes back to its section's heading, where the number keys work again (what was typed
  // stays). An open list of suggestions takes its Escape first (above).
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Escape" || event.defaultPrevented || !field.matches || !field.matches("textarea, input, select")) { return; }
    var section = field.closest(".visit-section");
    var heading = section && section.querySelector("h2");
    if (!heading) { return; }
    event.preventDefault();
    focusHeading(heading);
  });
})();
