// Reception's desk (queue/board.html): show one queue or every queue, and fold the queues this desk doesn't
// watch. Both are remembered in this browser and applied again after every push that redraws the board.
// Without this script every queue is shown, unfolded, and the controls stay hidden.
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
    return heading ? heading.firstChild.textContent.trim() : column.id;
  }

  // The filter's choices follow the queues on the board (a doctor who starts work adds one).
  function fillFilter(select, chosen) {
    var wanted = [["", "Every queue"]].concat(columns().map(function (c) { return [c.id, titleOf(c)]; }));
    var current = Array.prototype.map.call(select.options, function (o) { return o.value + "\u0000" + o.text; });
    var next = wanted.map(function (w) { return w[0] + "\u0000" + w[1]; });
    if (current.join("\u0001") !== next.join("\u0001")) {
      select.textContent = "";
      wanted.forEach(function (w) { select.add(new Option(w[1], w[0])); });
    }
    select.value = wanted.some(function (w) { return w[0] === chosen; }) ? chosen : "";
  }

  function apply() {
    var select = document.querySelector("[data-queue-filter]");
    if (!select) { return; }
    select.closest(".queue-toolbar").hidden = false;
    var chosen = stored(FILTER_KEY, "");
    fillFilter(select, chosen);
    var folded = stored(FOLDED_KEY, []);
    columns().forEach(function (column) {
      column.hidden = select.value !== "" && column.id !== select.value;
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
    showMoreQueues();
  }

  // Queues past the right edge of the board, which scrolls sideways: a button says how many and brings the next
  // one into view, so a desk with seven doctors never forgets the last ones.
  function queuesToTheRight() {
    var row = document.querySelector(".desk .queue-columns");
    if (!row) { return []; }
    var edge = row.getBoundingClientRect().right;
    return columns().filter(function (c) { return !c.hidden && c.getBoundingClientRect().right > edge + 1; });
  }
  function showMoreQueues() {
    var button = document.querySelector("[data-more-queues]");
    if (!button) { return; }
    var later = queuesToTheRight();
    button.hidden = later.length === 0;
    button.textContent = later.length + (later.length === 1 ? " more queue" : " more queues") + " \u203a";
  }
  document.addEventListener("scroll", function (event) {
    if (event.target.matches && event.target.matches(".desk .queue-columns")) { showMoreQueues(); }
  }, true);
  window.addEventListener("resize", showMoreQueues);

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-queue-filter]")) { return; }
    store(FILTER_KEY, event.target.value);
    apply();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-more-queues]")) { return; }
    var next = queuesToTheRight()[0];
    var row = document.querySelector(".desk .queue-columns");
    if (!next || !row) { return; }
    var by = next.getBoundingClientRect().left - row.getBoundingClientRect().left;
    row.scrollBy({ left: by, behavior: "smooth" });
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
          // Within its column only, so the page itself stays where it is.
          var below = ticket.getBoundingClientRect().top - list.getBoundingClientRect().top;
          list.scrollTop += below - (list.clientHeight - ticket.offsetHeight) / 2;
        }
      }
    });
  }

  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("htmx:oobAfterSwap", apply);
  document.addEventListener("htmx:sseMessage", apply);
  apply();
})();
