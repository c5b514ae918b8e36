// A polled box that holds a form (data-pause-while-focused) skips its poll while the user is
// in that form, so a choice half made is not swapped away. No eval: the page's CSP forbids it.
document.addEventListener("htmx:beforeRequest", function (event) {
  var box = event.target;
  if (box && box.hasAttribute && box.hasAttribute("data-pause-while-focused")
      && event.detail.requestConfig && event.detail.requestConfig.verb === "get"
      && box.contains(document.activeElement)) {
    event.preventDefault();
  }
});

// Live screens (data-live) hold a server-sent-event stream (htmx's sse extension) that pushes
// each change. Their boxes' own polls (data-live-poll) are the fallback: skipped while the
// stream is held (it said "hello", so no proxy holds it back), sent while it is down or
// never opened. A poll triggered by the stream itself ("refresh") always goes.
function liveStream(element) {
  return element && element.closest ? element.closest("[data-live]") : null;
}

document.addEventListener("htmx:sseOpen", function (event) {
  var stream = event.target;
  var source = event.detail && event.detail.source;
  if (source && !source.liveHello) {
    source.liveHello = true;
    source.addEventListener("hello", function () {
      stream.setAttribute("data-live", "up");
    });
  }
});

document.addEventListener("htmx:sseError", function (event) {
  if (event.target && event.target.hasAttribute("data-live")) {
    event.target.setAttribute("data-live", "down");
  }
});

document.addEventListener("htmx:sseClose", function (event) {
  // The workshop ended ("end"): nothing more will change, so nothing polls either.
  if (event.detail && event.detail.type === "message" && event.target.hasAttribute("data-live")) {
    event.target.setAttribute("data-live", "ended");
  }
});

document.addEventListener("htmx:beforeRequest", function (event) {
  var box = event.target;
  var config = event.detail.requestConfig;
  if (!box || !box.hasAttribute || !box.hasAttribute("data-live-poll") || !config
      || config.verb !== "get" || config.triggeringEvent || box.hasAttribute("data-live-pending")) {
    return;
  }
  var stream = liveStream(box);
  var state = stream && stream.getAttribute("data-live");
  if (state === "up" || state === "ended") {
    event.preventDefault();
  }
});

// A pushed box is not swapped while the user is in its form (as its poll pauses); its next
// poll, once they leave it, fetches what was held back.
document.addEventListener("htmx:sseBeforeMessage", function (event) {
  var box = event.target;
  if (box && box.hasAttribute && box.hasAttribute("data-pause-while-focused")
      && box.contains(document.activeElement)) {
    event.preventDefault();
    box.setAttribute("data-live-pending", "");
  }
});

// The console's keyboard shortcuts: a button with data-shortcut="n" is pressed by the N key,
// unless the facilitator is typing (text fields, selects) or holds a modifier key.
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
    return;
  }
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
    return;
  }
  var key = (event.key || "").toLowerCase();
  var button = document.querySelector('button[data-shortcut="' + key + '"]');
  if (key.length === 1 && button && !button.disabled) {
    event.preventDefault();
    button.click();
  }
});

// The projector's full-screen button: shown only where the browser can go full screen.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-fullscreen]");
  if (!button || !document.documentElement.requestFullscreen) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else {
      document.documentElement.requestFullscreen();
    }
  });
});
