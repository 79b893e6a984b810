// How every form behaves with JavaScript (the CSP forbids inline script, so it lives here, loaded by base.html):
// 1. Destructive actions ask first. A form marked by the `confirm` macro (data-confirm = the confirm button's
//    words) opens one shared <dialog>; without JavaScript the same form GETs its confirmation page instead.
// 2. One submission at a time: a form's submit buttons are disabled (and show that they are busy) while its
//    request is in flight, for plain forms and htmx forms alike; a second click does nothing.
// 3. A message region (web::inline_messages) that receives a message through htmx is scrolled into view.
// 4. Notes being typed (textarea[data-draft]) are also kept in this browser, so text survives an expired session
//    or a lost connection; the server keeps its own draft as they type (hx-post on the textarea).
// 5. Ctrl+Enter (or Cmd+Enter) in a text box sends its form, so notes are signed without the mouse.
// 6. A form pushed by a live stream carries no token (htmx sends it as a header); sent in the moment before htmx
//    has taken it over (Enter pressed as a push lands), it posts as a plain form, and takes the token along.
// 7. A form saved as a whole page (form[data-saved-apart], a section of the settings): once changed, its save bar
//    says the changes are not saved, and leaving the page without saving asks first (the browser's own question).
// 8. A refused form (its fields marked aria-invalid, their messages beside them) puts the focus on the first field
//    to correct (or the one the page names with autofocus), in the middle of the screen: a long page answered
//    again no longer opens at its top, with the message out of sight. The same for a section answered again
//    through htmx with a 422.
// 9. A small task on the way through a page (a[data-dialog]: the reason to block a time, the patient to book into
//    it; web::task) opens in one shared <dialog>, fetched through htmx, instead of a page of its own; a link marked
//    data-dialog inside it opens the next step in the same dialog, and "Go back" (data-dialog-close) closes it.
// 10. A folded form (details.fold, m::fold) opened by its line ("Add a medicine") puts the keyboard in its first
//     field; one open from the start (it holds a mistake) leaves the focus to 8.
(function () {
  "use strict";

  // ---- 1. Confirmation ------------------------------------------------------------------------------------
  var dialog = null;
  var proceed = null;

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function confirmDialog() {
    if (dialog) { return dialog; }
    dialog = element("dialog", { id: "confirm-dialog", "aria-labelledby": "confirm-question", "aria-describedby": "confirm-detail" });
    var article = element("article", {});
    var footer = element("footer", { "class": "confirm-actions" });
    var back = element("button", { type: "button", "class": "secondary", id: "confirm-cancel" }, "Go back");
    var ok = element("button", { type: "button", id: "confirm-ok" });
    back.addEventListener("click", function () { dialog.close(); });
    ok.addEventListener("click", function () {
      var go = proceed;
      proceed = null;
      dialog.close();
      if (go) { go(); }
    });
    dialog.addEventListener("close", function () { proceed = null; });
    footer.append(back, ok);
    article.append(element("h2", { id: "confirm-question" }), element("p", { id: "confirm-detail" }), footer);
    dialog.append(article);
    document.body.append(dialog);
    return dialog;
  }

  // The dialog asks `words.question` (with `words.detail`); its confirm button says `words.ok`.
  function askWith(words, then) {
    var d = confirmDialog();
    d.querySelector("#confirm-question").textContent = words.question;
    d.querySelector("#confirm-detail").textContent = words.detail;
    d.querySelector("#confirm-ok").textContent = words.ok;
    d.querySelector("#confirm-ok").className = words.okClass;
    proceed = then;
    d.showModal();
    d.querySelector("#confirm-cancel").focus();
  }

  function ask(form, then) {
    askWith({
      question: form.getAttribute("data-confirm-question") || "Are you sure?",
      detail: form.getAttribute("data-confirm-detail") || "",
      ok: form.getAttribute("data-confirm"),
      // What is confirmed is destructive (web::confirm): its button is the danger one.
      okClass: form.getAttribute("data-confirm-class") || "danger"
    }, then);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  // The confirmed action of a plain form: the POST its confirmation page would send, with what was typed in the
  // form itself (a void's reason).
  function post(form) {
    var real = element("form", { method: "post", action: form.getAttribute("action"), hidden: "" });
    real.append(element("input", { type: "hidden", name: "csrf_token", value: csrfToken() }));
    Array.prototype.forEach.call(form.elements, function (field) {
      var skip = !field.name || field.name === "csrf_token" || ((field.type === "checkbox" || field.type === "radio") && !field.checked);
      if (!skip) { real.append(element("input", { type: "hidden", name: field.name, value: field.value })); }
    });
    document.body.append(real);
    busy(form, true);
    real.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-confirm]") || form.hasAttribute("hx-post")) { return; }
    event.preventDefault();
    if (!form.hasAttribute("data-submitting")) { ask(form, function () { post(form); }); }
  });

  // htmx asks before every request; a form marked for confirmation waits for the dialog.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-confirm]");
    if (!form) { return; }
    event.preventDefault();
    // A server push may have redrawn the form while the dialog was open: then post it the plain way.
    ask(form, function () {
      if (document.body.contains(form)) { event.detail.issueRequest(true); } else { post(form); }
    });
  });

  // ---- 2. One submission at a time ------------------------------------------------------------------------
  function busy(form, on) {
    // The form's elements include buttons outside it that name it (`form="..."`, a list's rows).
    Array.prototype.forEach.call(form.elements, function (button) {
      if (button.type !== "submit") { return; }
      button.disabled = on;
      if (on) { button.setAttribute("aria-busy", "true"); } else { button.removeAttribute("aria-busy"); }
    });
    if (on) { form.setAttribute("data-submitting", ""); } else { form.removeAttribute("data-submitting"); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method === "dialog" || (form.target && form.target !== "_self")) { return; }
    if (form.hasAttribute("data-submitting")) { event.preventDefault(); return; }
    if (event.defaultPrevented) { return; } // htmx sends it (see below), or the dialog asks first
    form.setAttribute("data-submitting", "");
    // Disabled once the browser has read the form, so the clicked button's own name and value are still sent;
    // released after a while in case the answer was a download that left the page as it was.
    window.setTimeout(function () { busy(form, true); }, 0);
    window.setTimeout(function () { busy(form, false); }, 15000);
  });

  // The form a request submits: not one whose field makes a request of its own while the user types (a draft
  // being saved, a search as you type), which must neither wait for nor block the form's own submission.
  function requestForm(event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest || (elt.matches && elt.matches("input, textarea, select"))) { return null; }
    return elt.closest("form");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = requestForm(event);
    if (form && form.hasAttribute("data-submitting")) { event.preventDefault(); return; }
    if (form && form.matches("[hx-post]")) { busy(form, true); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = requestForm(event);
    if (form) { busy(form, false); }
    // A form shared by a list's rows (a check-in's priority) starts again from its defaults once it worked.
    if (form && form.hasAttribute("data-reset-after") && event.detail.successful) { form.reset(); }
  });
  // Back to a page kept in the browser's cache: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-submitting]").forEach(function (form) { busy(form, false); });
    }
  });

  // ---- 3. Messages where the user acted -------------------------------------------------------------------
  // Fired on what was swapped into the region (or on the region itself).
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var region = event.target && event.target.closest ? event.target.closest(".messages") : null;
    if (!region || !region.textContent.trim()) { return; }
    var box = region.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      region.scrollIntoView({ block: "center" });
    }
  });

  // ---- 4. Drafts kept in the browser ------------------------------------------------------------------------
  function draftKey(box) {
    var form = box.closest("form");
    return "sickbay-draft:" + (form ? form.getAttribute("action") : "") + ":" + box.name;
  }
  // Whether the text was signed already: it is one of the notes shown beside its box.
  function signed(box, text) {
    var place = box.closest(".note-kind, section");
    if (!place) { return false; }
    return Array.prototype.some.call(place.querySelectorAll("blockquote.note p"), function (p) {
      return p.textContent.trim() === text.trim();
    });
  }
  function restoreDrafts(root) {
    (root || document).querySelectorAll("textarea[data-draft]").forEach(function (box) {
      var kept = null;
      try { kept = window.localStorage.getItem(draftKey(box)); } catch (e) { return; }
      if (kept && signed(box, kept)) {
        try { window.localStorage.removeItem(draftKey(box)); } catch (e) { /* nothing kept */ }
        return;
      }
      if (kept && !box.value.trim()) {
        box.value = kept;
        var note = element("small", { "class": "draft-state" }, "Restored from this browser: not signed yet.");
        box.insertAdjacentElement("afterend", note);
        box.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-draft]")) { return; }
    try {
      if (box.value.trim()) { window.localStorage.setItem(draftKey(box), box.value); }
      else { window.localStorage.removeItem(draftKey(box)); }
    } catch (e) { /* storage full or disabled: the server's draft still holds it */ }
  });
  // A note signed (the server answered the form itself, without sending the browser to the login page) is no
  // longer a draft.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var xhr = event.detail && event.detail.xhr;
    if (!elt || !elt.matches || !elt.matches("form") || !event.detail.successful) { return; }
    if (xhr && xhr.getResponseHeader("HX-Redirect")) { return; }
    elt.querySelectorAll("textarea[data-draft]").forEach(function (box) {
      try { window.localStorage.removeItem(draftKey(box)); } catch (e) { /* nothing kept */ }
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) { restoreDrafts(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { restoreDrafts(document); });
  } else {
    restoreDrafts(document);
  }

  // ---- 5. Ctrl+Enter sends a text box's form ---------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || !box.matches || !box.matches("textarea")) { return; }
    var form = box.closest("form");
    if (form && form.requestSubmit) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // ---- 6. The token of a plain post ---------------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[method=post]") || form.elements.namedItem("csrf_token")) { return; }
    form.append(element("input", { type: "hidden", name: "csrf_token", value: csrfToken() }));
  }, true);

  // ---- 7. Changes not saved -------------------------------------------------------------------------------------
  var leaving = false;
  function changedForm() { return document.querySelector("form[data-saved-apart][data-changed]"); }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!form || !form.matches("form[data-saved-apart]") || form.hasAttribute("data-changed")) { return; }
    form.setAttribute("data-changed", "");
    var state = form.querySelector("[data-save-state]");
    if (state) { state.textContent = "Changes not saved."; }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-saved-apart]")) { leaving = true; }
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !changedForm()) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  // ---- 8. The first field to correct ------------------------------------------------------------------------------
  // A page that names the field to correct first (autofocus, as the login's password) is followed.
  function focusFirstMistake(within) {
    var field = within.querySelector("[aria-invalid='true'][autofocus]") || within.querySelector("[aria-invalid='true']");
    if (!field) { return; }
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
  }
  function onLoad() { focusFirstMistake(document.querySelector("main") || document.body); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onLoad);
  } else {
    onLoad();
  }
  // A form posted to an address with a fragment (the desk's walk-in forms, so that without JavaScript the answer
  // opens at the form) comes back at that fragment, and the browser's scroll to it takes the focus away: given
  // back once the page has loaded, unless the person has moved on.
  window.addEventListener("load", function () {
    if (window.location.hash && document.activeElement === document.body) { window.setTimeout(onLoad, 0); }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status !== 422) { return; }
    var target = event.detail.target;
    focusFirstMistake(target && target.isConnected ? target : (document.querySelector("main") || document.body));
  });

  // ---- 9. Small tasks in a dialog ----------------------------------------------------------------------------
  var taskDialog = null;
  function taskBox() {
    if (taskDialog) { return taskDialog; }
    taskDialog = element("dialog", { id: "task-dialog", "aria-labelledby": "task-title" });
    var article = element("article", {});
    var close = element("button", { type: "button", "class": "dialog-close", "aria-label": "Close", "data-dialog-close": "" });
    close.textContent = "×";
    article.append(close, element("div", { id: "task-body" }));
    taskDialog.append(article);
    document.body.append(taskDialog);
    return taskDialog;
  }
  document.addEventListener("click", function (event) {
    var closer = event.target.closest ? event.target.closest("[data-dialog-close]") : null;
    if (closer && taskDialog && taskDialog.open && taskDialog.contains(closer)) {
      event.preventDefault();
      taskDialog.close();
      return;
    }
    var link = event.target.closest ? event.target.closest("a[data-dialog]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    taskBox();
    htmx.ajax("GET", link.getAttribute("href"), { target: "#task-body", swap: "innerHTML" });
  });
  // Shown once htmx has settled the task (and taken over its forms): an Enter pressed at once posts through htmx,
  // answered in the dialog, not the plain way on a page of its own.
  document.addEventListener("htmx:afterSettle", function (event) {
    var body = taskDialog && taskDialog.querySelector("#task-body");
    if (!body || event.detail.target !== body) { return; }
    if (!taskDialog.open) { taskDialog.showModal(); }
    var first = taskDialog.querySelector("[autofocus]") || taskDialog.querySelector("#task-title");
    if (first) { first.focus(); }
  });

  // ---- 10. A folded form opened ------------------------------------------------------------------------------
  // "toggle" doesn't bubble; it also fires for a fold open from the start, when its line has no focus.
  document.addEventListener("toggle", function (event) {
    var fold = event.target;
    if (!fold.matches || !fold.matches("details.fold") || !fold.open) { return; }
    var line = fold.querySelector(":scope > summary");
    if (document.activeElement !== line) { return; }
    var first = fold.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }, true);
})();
