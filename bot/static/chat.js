// The counter's live list and chat (オンライン窓口): poll the server's fragment with If-None-Match every few
// seconds and replace it only when the ETag changed (304 otherwise). Polling, not Server-Sent Events: a held-open
// stream would pin one of gunicorn's few sync workers per open console (docs/security.md, "The online counter"). No inline script (CSP).
(function () {
  "use strict";
  var EVERY = 3000;

  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    var etag = box.getAttribute("data-etag") || "";
    var busy = false;
    function tick() {
      if (busy || document.hidden) return;
      busy = true;
      var headers = { "Accept": "text/html" };
      if (etag) headers["If-None-Match"] = '"' + etag + '"';
      fetch(url, { credentials: "same-origin", headers: headers, cache: "no-store" })
        .then(function (r) {
          if (r.status === 200) {
            etag = (r.headers.get("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
            return r.text().then(function (html) {
              // Server-rendered from our own templates (every value escaped by Jinja).
              box.innerHTML = html;
              box.setAttribute("data-etag", etag);
              box.setAttribute("data-updated", String(Date.now()));
            });
          }
          if (r.status === 401 || r.status === 403) { clearInterval(timer); }
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ })
        .then(function () { busy = false; });
    }
    var timer = setInterval(tick, EVERY);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-poll-url]"), poll);

  // 定型文: picking one puts its text into the reply box (staff may still edit it before sending).
  var pick = document.getElementById("template-pick");
  if (pick) {
    pick.addEventListener("change", function () {
      var target = document.getElementById(pick.getAttribute("data-template-target"));
      if (target && pick.value) { target.value = pick.value; target.focus(); }
    });
  }
})();
