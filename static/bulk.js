// The review queue's "select all" box ticks or clears every row of the page. A script file, not
// an inline handler: the Content-Security-Policy allows scripts from 'self' only.
document.addEventListener("change", function (event) {
  "use strict";
  var box = event.target;
  if (!box.matches || !box.matches("[data-select-all]")) {
    return;
  }
  var form = box.closest("form");
  form.querySelectorAll('input[type="checkbox"][name="ticket"]').forEach(function (row) {
    row.checked = box.checked;
  });
});
