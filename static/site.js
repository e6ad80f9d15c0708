// Small behaviours every page shares. Script files only: the Content-Security-Policy allows
// scripts from 'self', not inline handlers.
document.addEventListener("submit", function (event) {
  "use strict";
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A table wider than its box scrolls inside it (narrow screens): make that region reachable by
// keyboard and named, so that it can be scrolled without a mouse (WCAG 2.1.1).
function markScrollRegions() {
  "use strict";
  document.querySelectorAll("main table, main .table-scroll").forEach(function (box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
    if (scrolls && !box.hasAttribute("tabindex")) {
      var heading = box.closest("section, main").querySelector("h1, h2");
      box.setAttribute("tabindex", "0");
      if (box.tagName !== "TABLE") { box.setAttribute("role", "region"); }  // a table keeps its own role
      box.setAttribute("aria-label", (heading ? heading.textContent.trim() + "：" : "") + "表格（可左右滚动）");
      box.setAttribute("data-scroll-region", "");
    }
  });
}
markScrollRegions();
window.addEventListener("resize", markScrollRegions);
