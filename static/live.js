// Live pages (reception's board, the doctor's queue, a patient's place): says whether the page is live, and
// when it last heard from the server, so a dropped connection is visible. htmx's sse extension reconnects by
// itself, and the server sends the whole current state on every (re)connection, then only what changed
// (out-of-band swaps of single tickets and headings).
(function () {
  "use strict";
  // Times in the clinic's zone (the status element says which), like every other time on the page.
  function clock(status) {
    var zone = (status && status.getAttribute("data-time-zone")) || undefined;
    return new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: zone })
      .format(new Date());
  }
  function streamOf(element) {
    return element && element.closest ? element.closest("[sse-connect]") : null;
  }
  function statusFor(element) {
    var stream = streamOf(element);
    var id = stream && stream.getAttribute("data-live-status");
    return id ? document.getElementById(id) : null;
  }
  var last = "";
  document.addEventListener("htmx:sseOpen", function (event) {
    var status = statusFor(event.target);
    if (status) { status.textContent = "Live"; status.classList.remove("live-lost"); }
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    var status = statusFor(event.target);
    last = clock(status);
    if (status) { status.textContent = "Live · updated " + last; status.classList.remove("live-lost"); }
    waited();
  });
  document.addEventListener("htmx:sseError", function (event) {
    var status = statusFor(event.target);
    if (status) {
      status.textContent = "Reconnecting…" + (last ? " last update " + last : "");
      status.classList.add("live-lost");
    }
  });

  // A push never redraws a form control the user is in the middle of (a half-chosen priority or room): pushes
  // wait, in order, until focus leaves the live part of the page, then are swapped in. A whole state makes the
  // changes before it unnecessary. (A button keeps focus after its click; its own change must show at once.)
  var pending = [];
  function busyIn(stream) {
    var active = document.activeElement;
    return stream && active && active !== stream && stream.contains(active) && active.matches("select, input, textarea");
  }
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var stream = streamOf(event.target);
    if (!busyIn(stream)) { return; }
    event.preventDefault();
    var style = event.target.getAttribute("hx-swap") || "innerHTML";
    if (style === "innerHTML") { pending = []; }
    pending.push({ stream: stream, target: event.target, html: event.detail.data, style: style });
  });
  document.addEventListener("focusout", function () {
    if (!pending.length) { return; }
    setTimeout(function () {
      if (!pending.length || busyIn(pending[0].stream)) { return; }
      var updates = pending;
      pending = [];
      updates.forEach(function (update) { htmx.swap(update.target, update.html, { swapStyle: update.style }); });
      waited();
    }, 0);
  });

  // "arrived 09:40 (12 min ago)", and the desk's short "12m" (its narrow columns), counted here from the
  // check-in time, so a ticket's markup stays the same as time passes.
  function waited() {
    var now = Date.now();
    var minutesSince = function (span) {
      return Math.max(0, Math.round((now - Number(span.getAttribute("data-since"))) / 60000));
    };
    document.querySelectorAll(".waited[data-since]").forEach(function (span) {
      var minutes = minutesSince(span);
      var text = minutes < 1 ? " (just now)" : " (" + minutes + " min ago)";
      if (span.textContent !== text) { span.textContent = text; }
    });
    document.querySelectorAll(".wait[data-since]").forEach(function (span) {
      var minutes = minutesSince(span);
      var text = minutes < 1 ? "now" : minutes + "m";
      if (span.textContent !== text) {
        span.textContent = text;
        span.title = minutes < 1 ? "Arrived just now" : "Waiting " + minutes + " min";
      }
    });
    // A call the waiting-room display no longer shows under "Now calling" (after data-shown minutes): the desk is
    // told to call again.
    document.querySelectorAll(".call-age[data-since]").forEach(function (span) {
      var shownFor = Number(span.getAttribute("data-shown")) * 60000;
      var stale = now - Number(span.getAttribute("data-since")) >= shownFor;
      var text = stale ? " \u00b7 call again" : "";
      if (span.textContent !== text) { span.textContent = text; }
      span.title = stale ? "No longer on the waiting-room display" : "";
      var ticket = span.closest(".ticket");
      if (ticket) { ticket.classList.toggle("ticket-call-stale", stale); }
    });
  }
  waited();
  setInterval(waited, 30000);
  document.addEventListener("htmx:afterSettle", waited);

  // After "Call next" the focus goes to the called ticket's "Start", the next thing to press: the button that was
  // pressed is redrawn (disabled while the patient is on their way), which would leave the focus nowhere. The
  // called ticket arrives with the answer or with the push that follows it; for a few seconds a push that drops
  // the focus gives it back to "Start" (never taken from where the user has moved it). A page opened at a called
  // ticket (`/queue/doctor#ticket-12`, after calling from the doctor's home) starts there too.
  var wanted = null;
  var wantedSince = 0;
  function focusStart(force) {
    if (!wanted || Date.now() - wantedSince > 10000) { wanted = null; return; }
    var active = document.activeElement;
    if (!force && active && active !== document.body) { return; }
    var start = document.querySelector(wanted + ".ticket-called form[action$='/start'] button");
    if (start) { start.focus(); }
  }
  function want(selector) {
    wanted = selector;
    wantedSince = Date.now();
    focusStart(true);
  }
  function callNextOf(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("form[action='/queue/call-next']") : null;
  }
  // Wanted from the moment the call is sent: the push of the call may redraw the button before the answer.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (callNextOf(event)) { wanted = "#current-tickets "; wantedSince = Date.now(); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!callNextOf(event)) { return; }
    if (event.detail.successful) { want("#current-tickets "); } else { wanted = null; }
  });
  document.addEventListener("htmx:afterSettle", function () { focusStart(false); });
  document.addEventListener("htmx:oobAfterSwap", function () { focusStart(false); });
  document.addEventListener("htmx:sseMessage", function () { focusStart(false); });
  if (/^#ticket-\d+$/.test(window.location.hash)) { want(window.location.hash); }

  // A ticket's actions: its page, shown in the one dialog of the page instead of opening it.
  function dialog() { return document.getElementById("ticket-dialog"); }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.ticket-menu") : null;
    var box = dialog();
    if (!link || !box || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    htmx.ajax("GET", link.getAttribute("href"), { target: "#ticket-dialog-body", swap: "innerHTML" }).then(function () {
      if (!box.open) { box.showModal(); }
      // On the ticket's name, not its first action: an Enter pressed as it opens must not skip someone.
      var title = box.querySelector("#ticket-dialog-title");
      if (title) { title.focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    if (event.target.id === "ticket-dialog-close") { dialog().close(); }
  });
  // A move sent from the dialog closes it: its message shows on the page, and the push redraws the ticket.
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = dialog();
    var verb = event.detail && event.detail.requestConfig && event.detail.requestConfig.verb;
    if (box && box.open && verb === "post" && box.contains(event.detail.elt)) { box.close(); }
  });
})();
