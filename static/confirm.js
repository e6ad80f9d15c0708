// Forms with data-confirm ask before they are sent. A script file, not an inline handler:
// the Content-Security-Policy allows scripts from 'self' only.
document.addEventListener("submit", function (event) {
  "use strict";
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
