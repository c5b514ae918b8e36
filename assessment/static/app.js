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
