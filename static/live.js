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
  document.addEventListener("htmx:sseError", function (event) {
    var status = statusFor(event.target);
    if (status) {
      status.textContent = "Reconnecting…" + (last ? " last update " + last : "");
      status.classList.add("live-lost");
    }
  });
})();
