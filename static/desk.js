// Reception's desk (queue/board.html): show one queue or every queue, and fold the queues this desk doesn't
// watch. Both are remembered in this browser and applied again after every push that redraws the board.
// Without this script every queue is shown, unfolded, the strip's links go to a queue, and the fold buttons stay hidden.
(function () {
  "use strict";
  var FILTER_KEY = "sickbay.desk.filter";
  var FOLDED_KEY = "sickbay.desk.folded";

  function stored(key, fallback) {
    try {
      var value = window.localStorage.getItem(key);
      return value === null ? fallback : JSON.parse(value);
    } catch (e) {
      return fallback;
    }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: not kept */ }
  }

  function columns() { return Array.prototype.slice.call(document.querySelectorAll(".desk .queue-column")); }

  function titleOf(column) {
    var heading = document.getElementById(column.id + "-title");
    return heading ? heading.textContent.trim() : column.id;
  }

  // The queue chosen on the strip, while it is still on the board (a doctor who stops work takes theirs away).
  function chosenQueue() {
    var chosen = stored(FILTER_KEY, "");
    return chosen && document.getElementById(chosen) ? chosen : "";
  }

  function apply() {
    var chosen = chosenQueue();
    Array.prototype.forEach.call(document.querySelectorAll("[data-queue-pick]"), function (pick) {
      pick.setAttribute("aria-current", String(pick.getAttribute("data-queue-pick") === chosen));
    });
    var folded = stored(FOLDED_KEY, []);
    columns().forEach(function (column) {
      column.hidden = chosen !== "" && column.id !== chosen;
      var isFolded = folded.indexOf(column.id) >= 0;
      column.classList.toggle("collapsed", isFolded);
      var toggle = column.querySelector("[data-column-toggle]");
      if (toggle) {
        toggle.hidden = false;
        toggle.setAttribute("aria-expanded", String(!isFolded));
        var verb = isFolded ? "Unfold" : "Fold";
        toggle.textContent = isFolded ? "\u203a" : "\u2039";
        toggle.title = verb;
        toggle.setAttribute("aria-label", verb + " " + titleOf(column));
      }
    });
    markNewTicket();
    showScrollButtons();
  }

  // A queue on the strip shows that queue alone; the same again, or "All queues", shows every one.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-queue-pick]");
    if (!pick) { return; }
    event.preventDefault();
    var id = pick.getAttribute("data-queue-pick");
    store(FILTER_KEY, id === chosenQueue() ? "" : id);
    apply();
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-column-toggle]");
    if (!toggle) { return; }
    var id = toggle.getAttribute("data-column-toggle");
    var folded = stored(FOLDED_KEY, []).filter(function (other) { return other !== id; });
    if (toggle.getAttribute("aria-expanded") === "true") { folded.push(id); }
    store(FOLDED_KEY, folded);
    apply();
  });

  // After "Walk-in added with ticket E-007" (or a check-in's "ticket A-004"), whose code the message marks:
  // its ticket stays marked on the board through the live redraws. In the first seconds (the board is redrawn
  // live right after it loads) its column is scrolled to it; later redraws leave the columns alone.
  var shownAt = Date.now();
  function showColumn(column) {
    var row = column && column.closest(".queue-columns");
    if (!row) { return; }
    var box = column.getBoundingClientRect(), view = row.getBoundingClientRect();
    if (box.left < view.left) { row.scrollLeft -= view.left - box.left; }
    else if (box.right > view.right) { row.scrollLeft += Math.min(box.right - view.right, box.left - view.left); }
  }
  function markNewTicket() {
    var named = document.querySelector(".desk-panel [data-new-ticket], .desk-card [data-new-ticket]");
    if (!named) { return; }
    var code = named.textContent.trim();
    Array.prototype.forEach.call(document.querySelectorAll(".desk .ticket"), function (ticket) {
      var shown = ticket.querySelector(".ticket-code");
      if (shown && shown.textContent.trim() === code && !ticket.classList.contains("ticket-new")) {
        ticket.classList.add("ticket-new");
        var list = ticket.closest(".ticket-list");
        if (list && Date.now() - shownAt < 10000) {
          // Within its column, and the row of columns to the column, so the page itself stays where it is.
          var below = ticket.getBoundingClientRect().top - list.getBoundingClientRect().top;
          list.scrollTop += below - (list.clientHeight - ticket.offsetHeight) / 2;
          showColumn(ticket.closest(".queue-column"));
        }
      }
    });
  }

  // Possible duplicates found as a new walk-in's details are typed: the panel scrolls them into its view above
  // its buttons (as far as their top), where they would otherwise appear under them. The page stays put.
  document.addEventListener("htmx:afterSettle", function (event) {
    var list = event.target.id === "walk-in-duplicates-box" && document.getElementById("walk-in-duplicates");
    var panel = list && list.closest(".desk-panel");
    var actions = list && list.closest("form").querySelector(".walk-in-actions");
    if (!panel || !actions) { return; }
    var hidden = list.getBoundingClientRect().bottom - actions.getBoundingClientRect().top;
    var room = list.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    if (hidden > 0) { panel.scrollTop += Math.min(hidden, room); }
  });
  // A patient checked in (from the search's "Check in" or the list of bookings due): the button pressed is gone
  // with the redraw, so the focus comes back to the search, its text selected for the next name.
  document.body.addEventListener("checked-in", function () {
    var search = document.querySelector("#walk-in-existing input[name=number]");
    if (!search || document.querySelector("dialog[open]")) { return; }
    search.closest("details").open = true;
    search.focus();
    search.select();
  });
  // "/" anywhere but in a field: find a registered patient for a walk-in (the search its form opens on).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) { return; }
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) { return; }
    var search = document.querySelector("#walk-in-existing input[name=number]");
    if (!search || document.querySelector("dialog[open]")) { return; }
    event.preventDefault();
    search.closest("details").open = true;
    search.focus();
  });
  // "Register them as a new patient" under a search that found nobody: the new patient's form opens with the
  // name as typed (split by the server) and the focus on the first field left to fill. Without this script the
  // link loads the board with that form open and filled.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-register-new]");
    var form = document.getElementById("walk-in-new");
    if (!link || !form) { return; }
    event.preventDefault();
    form.closest("details").open = true;
    var given = { first_name: link.getAttribute("data-first-name"), surname: link.getAttribute("data-surname") };
    Object.keys(given).forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field && given[name] !== null) {
        field.value = given[name];
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    var empty = Array.prototype.filter.call(form.querySelectorAll("input:not([type=hidden])"), function (field) {
      return field.value === "";
    });
    (empty[0] || form.querySelector("input:not([type=hidden])")).focus();
  });
  // The queues past the row's edges: "‹ 1 more" and "2 more ›" say how many, and scroll to the next one.
  function beyond(row, side) {
    var view = row.getBoundingClientRect();
    return columns().filter(function (column) {
      if (column.hidden) { return false; }
      var box = column.getBoundingClientRect();
      return side < 0 ? box.left < view.left - 1 : box.right > view.right + 1;
    });
  }
  function showScrollButtons() {
    var row = document.getElementById("queue-columns");
    if (!row) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-queue-scroll]"), function (button) {
      var side = Number(button.getAttribute("data-queue-scroll"));
      var count = beyond(row, side).length;
      button.hidden = count === 0;
      var words = count + " more " + (count === 1 ? "queue" : "queues");
      button.textContent = side < 0 ? "\u2039 " + count + " more" : count + " more \u203a";
      button.setAttribute("aria-label", (side < 0 ? "Scroll back: " : "Scroll on: ") + words);
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-queue-scroll]");
    var row = document.getElementById("queue-columns");
    if (!button || !row) { return; }
    var side = Number(button.getAttribute("data-queue-scroll"));
    var next = beyond(row, side);
    var target = side < 0 ? next[next.length - 1] : next[0];
    if (target) { showColumn(target); }
  });
  document.addEventListener("scroll", function (event) {
    if (event.target.id === "queue-columns") { showScrollButtons(); }
  }, true);
  window.addEventListener("resize", showScrollButtons);

  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("htmx:oobAfterSwap", apply);
  document.addEventListener("htmx:sseMessage", apply);
  apply();
})();
