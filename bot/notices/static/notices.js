// Notice pages: the LINE preview (in a shadow root, so the console's CSS cannot restyle the bubble), the live
// recipient count built by the server's own code, and the compose form's choices that show only when they apply.
(function () {
  "use strict";
  var R = window.LineRender;
  var target = document.getElementById("notice-preview");
  if (!target || !R) return;

  // The bubble gets only app.css and preview.css: a closed-off copy of how LINE draws it.
  var root = target.attachShadow({ mode: "open" });
  (target.getAttribute("data-styles") || "").split(" ").forEach(function (href) {
    if (!href) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    root.appendChild(link);
  });
  var slot = document.createElement("div");
  slot.className = "preview-messages";
  root.appendChild(slot);

  function show(message) {
    slot.textContent = "";
    slot.appendChild(R.message(message, null));
  }

  var initial = document.getElementById("notice-preview-data");
  if (initial) show(JSON.parse(initial.textContent));

  var form = document.getElementById("notice-form");
  if (!form) return;
  var count = document.getElementById("recipient-count");
  var problems = document.getElementById("preview-problems");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var url = form.getAttribute("data-preview-url");

  function checkedValue(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  function topics() {
    return Array.prototype.map.call(form.querySelectorAll('input[name="topics"]:checked'), function (el) {
      return el.value;
    });
  }

  // Topics only matter for 「テーマを選んだ人」, the date field only for 「日時を指定」.
  function showChoices() {
    var topicBox = document.getElementById("topic-choices");
    var sendAt = document.getElementById("send-at-field");
    if (topicBox) topicBox.hidden = checkedValue("audience") !== "topics";
    if (sendAt) sendAt.hidden = checkedValue("timing") !== "at";
    var chosen = Array.prototype.map.call(form.querySelectorAll('input[name="channels"]:checked'), function (el) {
      return el.value;
    });
    var screens = document.getElementById("screen-choices");
    var facilities = document.getElementById("facility-choices");
    var period = document.getElementById("display-period");
    var timing = document.getElementById("line-timing");
    if (screens) screens.hidden = chosen.indexOf("signage") < 0;
    if (facilities) facilities.hidden = checkedValue("screens") !== "chosen";
    if (period) period.hidden = chosen.indexOf("signage") < 0 && chosen.indexOf("web") < 0;
    if (timing) timing.hidden = chosen.indexOf("line") < 0;
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

  var timer = null;
  form.addEventListener("input", function () {
    target.removeAttribute("data-fresh");
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener("change", function () {
    showChoices();
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  });
  showChoices();
})();
