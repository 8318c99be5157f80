// Staff console behaviour: the live reply preview, previews of stored replies, and confirmations.
// Everything is rendered with textContent through line-render.js, so entry text stays inert.
(function () {
  "use strict";
  var R = window.LineRender;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";

  function showMessages(target, messages) {
    target.textContent = "";
    messages.forEach(function (m) { target.appendChild(R.message(m, null)); });
    var last = messages[messages.length - 1];
    var chips = R.chips(last, null);
    if (chips.length) {
      var row = R.el("div", "sim-chips preview-chips");
      chips.forEach(function (c) { row.appendChild(c); });
      target.appendChild(row);
    }
  }

  // Initial preview rendered from JSON the server embedded (one message or a list of them).
  var target = document.getElementById("preview");
  var data = document.getElementById("preview-data");
  if (target && data) {
    var parsed = JSON.parse(data.textContent);
    showMessages(target, Array.isArray(parsed) ? parsed : [parsed]);
  }

  // Live preview: ask the server for the bubble, so it is built by the same code as real replies.
  var form = document.getElementById("entry-form");
  if (form && target) {
    var url = form.getAttribute("data-preview-url");
    var timer = null;
    var fields = ["slug", "title", "answer", "url", "office", "contact", "source"];
    var refresh = function () {
      var payload = {};
      fields.forEach(function (name) {
        var input = form.elements[name];
        payload[name] = input ? input.value : "";
      });
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(payload)
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (res) { if (res) { showMessages(target, [res.message]); target.setAttribute("data-fresh", "1"); } })
        .catch(function () { /* keep the last preview; saving still works */ });
    };
    var schedule = function () {
      target.removeAttribute("data-fresh");
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    };
    form.addEventListener("input", schedule);
    // A clerk (or a slow network) can type before this script has run: those keystrokes raised no event
    // we heard, so compare each field with what the server sent and catch up at once.
    var edited = fields.some(function (name) {
      var input = form.elements[name];
      return input && input.value !== input.defaultValue;
    });
    if (edited) schedule();
  }

  // Forms that change something irreversible-looking ask first.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
})();
