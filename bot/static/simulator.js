// The chat simulator: sends what the resident types or taps to the town's /simulator/send and shows the reply with
// the shared LINE renderer (line-render.js), scrolled like LINE to the newest message.
(function () {
  "use strict";
  var R = window.LineRender;
  var log = document.getElementById("log");
  var chips = document.getElementById("chips");
  var form = document.getElementById("composer");
  var input = document.getElementById("q");
  var sendUrl = form.getAttribute("data-send-url"); // under the town's prefix (/<town>/simulator/send)
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var el = R.el;
  var GAP = 12; // px of the previous message left visible above a reply taller than the log

  // Show the newest messages: the whole reply when it fits, else its beginning (LINE keeps the start of a
  // long reply on screen, so the resident reads it from the top).
  function reveal(first) {
    var bottom = log.scrollHeight - log.clientHeight;
    var top = first ? first.offsetTop - GAP : bottom;
    log.scrollTop = Math.max(0, Math.min(bottom, top));
  }

  function add(node) {
    log.appendChild(node);
    return node;
  }

  function runAction(action) {
    if (action.type === "postback") {
      send({ kind: "postback", data: action.data }, action.displayText || action.label);
    } else if (action.type === "message") {
      send({ kind: "text", text: action.text }, action.text);
    }
  }

  function showChips(message) {
    chips.textContent = "";
    R.chips(message, runAction).forEach(function (b) { chips.appendChild(b); });
  }

  function fail(text) {
    reveal(add(el("div", "msg bot error", text)));
  }

  function send(payload, shown) {
    var first = shown ? add(el("div", "msg user", shown)) : null;
    if (first) reveal(first);
    return fetch(sendUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      credentials: "same-origin",
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) { fail("エラー：" + (res.data.message || "")); return; }
      var messages = res.data.messages;
      messages.forEach(function (m, i) {
        var node = add(R.message(m, runAction));
        if (!first && i === 0) first = node;
      });
      showChips(messages[messages.length - 1]);
      log.setAttribute("data-outcome", res.data.outcome || "");
      reveal(first);
    }).catch(function () {
      fail("通信できませんでした。もう一度お試しください。");
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ kind: "text", text: text }, text);
  });

  // The rich menu under the chat: its tiles do what they do in LINE (a web page opens as a plain link), and the
  // chat bar opens and closes it. Without this script the tiles post to /simulator/tap and the page answers.
  var panel = document.getElementById("rm-panel");
  var toggle = document.getElementById("rm-toggle");
  if (panel) {
    Array.prototype.forEach.call(panel.querySelectorAll("button.sim-rm-tile"), function (b) {
      b.addEventListener("click", function (e) {
        e.preventDefault();
        runAction({ type: b.getAttribute("data-kind"), text: b.getAttribute("data-text"), data: b.getAttribute("data-data"),
                    displayText: b.getAttribute("data-display"), label: b.getAttribute("data-label") });
      });
    });
  }
  function showMenu(open) {
    if (!panel || !toggle || panel.hidden === !open) return;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.querySelector(".sim-caret").textContent = open ? "\u25BC" : "\u25B2";
    reveal(null);
  }
  if (panel && toggle) {
    toggle.addEventListener("click", function () { showMenu(panel.hidden); });
    // Typing closes the menu, as LINE's keyboard does; the chat bar opens it again.
    input.addEventListener("focus", function () { showMenu(false); });
  }

  // Keep the newest message in view when the window (or a phone's on-screen keyboard) changes the log's height.
  window.addEventListener("resize", function () { log.scrollTop = log.scrollHeight; });

  send({ kind: "follow" });
})();
