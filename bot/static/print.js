// The console's 印刷 buttons (a static file: the CSP allows no inline script). Without JavaScript the
// buttons stay hidden and the browser's own print command prints the same clean page (admin.css @media print).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("button[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
