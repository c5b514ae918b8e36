// The workshop timer (templates/_timer.html): the server renders the milliseconds left
// (data-timer-left-ms) when it draws the screen; this counts down from them. A timer swapped
// in by htmx is a new element and starts from its own figure, so every screen follows the
// server's end time and a reload loses nothing. At zero the timer says so; nothing is blocked.
(function () {
  "use strict";

  function format(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var rest = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function start(timer) {
    if (timer.timerDeadline === undefined) {
      timer.timerDeadline = performance.now() + Number(timer.getAttribute("data-timer-left-ms"));
    }
  }

  function tick() {
    var timers = document.querySelectorAll("[data-timer][data-timer-state='running']");
    for (var i = 0; i < timers.length; i++) {
      var timer = timers[i];
      start(timer);
      var left = timer.timerDeadline - performance.now();
      var clock = timer.querySelector("[data-timer-clock]");
      var text = format(left);
      if (clock && clock.textContent !== text) {
        clock.textContent = text;
      }
      if (left <= 0 && !timer.classList.contains("timer-up")) {
        timer.classList.add("timer-up");
        var status = timer.querySelector("[data-timer-status]");
        if (status) {
          status.textContent = timer.getAttribute("data-timer-up-text") || "";
        }
      }
    }
  }

  function startAll() {
    var timers = document.querySelectorAll("[data-timer][data-timer-state='running']");
    for (var i = 0; i < timers.length; i++) {
      start(timers[i]);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", startAll);
  document.addEventListener("htmx:load", startAll);
  window.setInterval(tick, 200);
})();
