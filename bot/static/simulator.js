// The chat simulator: sends what the resident types to /simulator/send and shows the reply with
// the shared LINE renderer (line-render.js).
(function () {
  "use strict";
  var R = window.LineRender;
  var log = document.getElementById("log");
  var chips = document.getElementById("chips");
  var form = document.getElementById("composer");
  var input = document.getElementById("q");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var el = R.el;

  function scroll() { log.scrollTop = log.scrollHeight; }

  function runAction(action) {
    if (action.type === "postback") {
      send({ kind: "postback", data: action.data }, action.displayText || action.label);
    } else if (action.type === "message") {
      send({ kind: "text", text: action.text }, action.text);
    }
  }

  function render(message) {
    log.appendChild(R.message(message, runAction));
  }

  function showChips(message) {
    chips.textContent = "";
    R.chips(message, runAction).forEach(function (b) { chips.appendChild(b); });
  }

  function send(payload, shown) {
    if (shown) log.appendChild(el("div", "msg user", shown));
    scroll();
    return fetch("/simulator/send", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) { log.appendChild(el("div", "msg bot error", "エラー：" + (res.data.message || ""))); return; }
      res.data.messages.forEach(render);
      showChips(res.data.messages[res.data.messages.length - 1]);
      log.setAttribute("data-outcome", res.data.outcome || "");
      scroll();
    }).catch(function () {
      log.appendChild(el("div", "msg bot error", "通信できませんでした。もう一度お試しください。"));
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ kind: "text", text: text }, text);
  });

  send({ kind: "follow" });
})();
