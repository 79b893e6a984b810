// The waiting-room display: a clock in the clinic's time zone, the connection state with the time of the last
// update, and for each call a chime and a spoken announcement ("Ticket A 12, Room 3"). Browsers only play
// sound after a tap on the page, so the screen asks for one tap when it is set up, unless its browser allows it.
(function () {
  "use strict";
  var body = document.body;
  var zone = body.getAttribute("data-time-zone") || undefined;
  var clockFormat = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone });
  var secondsFormat = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: zone });
  var audio = null;
  var announced = {};

  function tick() {
    var clock = document.getElementById("clock");
    if (clock) { clock.textContent = clockFormat.format(new Date()); }
  }
  function updated() {
    var time = document.getElementById("updated");
    if (time) { time.textContent = secondsFormat.format(new Date()); }
  }
  tick();
  updated();
  setInterval(tick, 1000);

  document.addEventListener("htmx:sseOpen", function () { body.classList.remove("offline"); });
  document.addEventListener("htmx:sseError", function () { body.classList.add("offline"); });
  document.addEventListener("htmx:sseMessage", function () { body.classList.remove("offline"); updated(); });

  var Context = window.AudioContext || window.webkitAudioContext;
  // A screen whose browser may play sound unasked (a kiosk started with
  // --autoplay-policy=no-user-gesture-required) needs no tap: its audio starts running by itself.
  var context = Context ? new Context() : null;
  if (context) {
    context.onstatechange = function () {
      if (context.state === "running") { audio = context; body.classList.add("sound-on"); }
    };
  }
  var button = document.getElementById("enable-sound");
  if (button) {
    button.addEventListener("click", function () {
      if (context) { audio = context; context.resume(); }
      if (window.speechSynthesis) { window.speechSynthesis.speak(new SpeechSynthesisUtterance("")); }
      body.classList.add("sound-on");
      chime();
    });
  }

  function chime() {
    if (!audio) { return; }
    var start = audio.currentTime;
    [659.25, 523.25].forEach(function (frequency, i) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + i * 0.45);
      gain.gain.exponentialRampToValueAtTime(0.4, start + i * 0.45 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.45 + 0.7);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + i * 0.45);
      oscillator.stop(start + i * 0.45 + 0.75);
    });
  }

  function say(text) {
    if (!audio || !window.speechSynthesis || !text) { return; }
    setTimeout(function () {
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.rate = 0.9;
      window.speechSynthesis.speak(utterance);
    }, 1000);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var box = document.getElementById("announce");
    if (!box || event.target !== box) { return; }
    var call = box.querySelector("[data-call]");
    if (!call) { return; }
    var key = call.getAttribute("data-call");
    if (announced[key]) { return; }
    announced[key] = true;
    box.classList.remove("announce-show");
    void box.offsetWidth; // restart the highlight animation
    box.classList.add("announce-show");
    chime();
    say(call.getAttribute("data-say"));
  });
})();
