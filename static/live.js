// Live pages (reception's board, the doctor's queue, a patient's place): says whether the page is live, and
// when it last heard from the server, so a dropped connection is visible. htmx's sse extension reconnects by
// itself, and the server sends the whole current state on every (re)connection.
(function () {
  "use strict";
  // Times in the clinic's zone (the status element says which), like every other time on the page.
  function clock(status) {
    var zone = (status && status.getAttribute("data-time-zone")) || undefined;
    return new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: zone })
      .format(new Date());
  }
  function statusFor(element) {
    var id = element && element.getAttribute && element.getAttribute("data-live-status");
    return id ? document.getElementById(id) : null;
  }
  var last = "";
  document.addEventListener("htmx:sseOpen", function (event) {
    var status = statusFor(event.target);
    if (status) { status.textContent = "Live"; status.classList.remove("live-lost"); }
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    var status = statusFor(event.target.closest ? event.target.closest("[data-live-status]") : null);
    last = clock(status);
    if (status) { status.textContent = "Live · updated " + last; status.classList.remove("live-lost"); }
  });
  // A push never redraws a form control the user is in the middle of (a half-chosen "Transfer to…", a
  // button being pressed): the newest state waits until focus leaves the live region, then is swapped in. A
  // swap of the region by the user's own request makes it unnecessary.
  var pending = null;
  function busyIn(region) {
    var active = document.activeElement;
    return active && active !== region && region.contains(active) && active.matches("select, input, textarea, button");
  }
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (busyIn(event.target)) {
      event.preventDefault();
      pending = { region: event.target, html: event.detail.data };
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (pending && event.detail && event.detail.target === pending.region) { pending = null; }
  });
  document.addEventListener("focusout", function () {
    if (!pending) { return; }
    setTimeout(function () {
      if (pending && !busyIn(pending.region)) {
        var update = pending;
        pending = null;
        htmx.swap(update.region, update.html, { swapStyle: "innerHTML" });
      }
    }, 0);
  });
  document.addEventListener("htmx:sseError", function (event) {
    var status = statusFor(event.target);
    if (status) {
      status.textContent = "Reconnecting…" + (last ? " last update " + last : "");
      status.classList.add("live-lost");
    }
  });
})();
