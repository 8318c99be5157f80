// Notice compose page: the live LINE preview and recipient count, built by the server's own code.
(function () {
  "use strict";
  var R = window.LineRender;
  var form = document.getElementById("notice-form");
  var target = document.getElementById("notice-preview");
  var count = document.getElementById("recipient-count");
  var problems = document.getElementById("preview-problems");
  if (!form || !target || !R) return;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var url = form.getAttribute("data-preview-url");

  function show(message) {
    target.textContent = "";
    target.appendChild(R.message(message, null));
  }

  function checkedValue(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  function topics() {
    return Array.prototype.map.call(form.querySelectorAll('input[name="topics"]:checked'), function (el) {
      return el.value;
    });
  }

  function refresh() {
    var payload = {
      title: form.elements.title.value, body: form.elements.body.value, url: form.elements.url.value,
      entry_slug: form.elements.entry_slug.value, audience: checkedValue("audience"), topics: topics()
    };
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(payload)
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (res) {
        if (!res) return;
        show(res.message);
        count.textContent = res.count.toLocaleString("ja-JP");
        problems.textContent = Object.keys(res.problems).map(function (k) { return res.problems[k]; }).join(" ");
        target.setAttribute("data-fresh", "1");
      })
      .catch(function () { /* keep the last preview; saving still works */ });
  }

  var initial = document.getElementById("notice-preview-data");
  if (initial) show(JSON.parse(initial.textContent));
  var timer = null;
  form.addEventListener("input", function () {
    target.removeAttribute("data-fresh");
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 50); });
})();
