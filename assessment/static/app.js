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
