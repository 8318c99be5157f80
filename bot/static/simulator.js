// Renders LINE message JSON the way the LINE app shows it. Only textContent is used,
// so text from the knowledge base can never run as HTML or script.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var chips = document.getElementById("chips");
  var form = document.getElementById("composer");
  var input = document.getElementById("q");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function actionButton(action, style) {
    if (action.type === "uri") {
      var a = el("a", "btn " + (style || "secondary"), action.label);
      // Only web links are followed; anything else stays inert.
      if (/^https?:\/\//.test(action.uri)) { a.href = action.uri; a.target = "_blank"; a.rel = "noopener"; }
      return a;
    }
    var b = el("button", style || "secondary", action.label);
    b.type = "button";
    b.addEventListener("click", function () { runAction(action); });
    return b;
  }

  function runAction(action) {
    if (action.type === "postback") {
      send({ kind: "postback", data: action.data }, action.displayText || action.label);
    } else if (action.type === "message") {
      send({ kind: "text", text: action.text }, action.text);
    }
  }

  function flex(node) {
    switch (node.type) {
      case "box":
        var box = el("div", "bx " + (node.layout || "vertical"));
        (node.contents || []).forEach(function (c) { box.appendChild(flex(c)); });
        return box;
      case "text":
        return el("div", "t " + (node.size || "") + (node.weight === "bold" ? " bold" : ""), node.text);
      case "separator":
        return el("hr");
      case "button":
        return actionButton(node.action, node.style);
      default:
        return el("div");
    }
  }

  function render(message) {
    if (message.type === "text") {
      log.appendChild(el("div", "msg bot", message.text));
    } else if (message.type === "flex") {
      var bubble = el("article", "bubble");
      bubble.setAttribute("aria-label", message.altText);
      var c = message.contents;
      if (c.header) { var h = flex(c.header); h.classList.add("head"); bubble.appendChild(h); }
      if (c.body) bubble.appendChild(flex(c.body));
      if (c.footer) bubble.appendChild(flex(c.footer));
      log.appendChild(bubble);
    } else {
      log.appendChild(el("div", "msg bot", "[" + message.type + "]"));
    }
  }

  function showChips(message) {
    chips.textContent = "";
    var items = (message && message.quickReply && message.quickReply.items) || [];
    items.forEach(function (item) {
      var b = el("button", "chip", item.action.label);
      b.type = "button";
      b.addEventListener("click", function () { runAction(item.action); });
      chips.appendChild(b);
    });
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
