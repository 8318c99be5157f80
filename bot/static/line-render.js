// Renders LINE message JSON the way the LINE app shows it; shared by the chat simulator and the
// staff console's previews. Only textContent is used, so text from the knowledge base can never
// run as HTML or script.
(function (global) {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // onAction(action) runs postback/message buttons; without it (previews) buttons stay inert.
  function actionButton(action, style, onAction) {
    if (action.type === "uri") {
      var a = el("a", "btn " + (style || "secondary"), action.label);
      // Only web links are followed; anything else (javascript:, data:) stays inert.
      if (/^(https?:\/\/|tel:)/.test(action.uri)) { a.href = action.uri; a.target = "_blank"; a.rel = "noopener"; }
      return a;
    }
    var b = el("button", style || "secondary", action.label);
    b.type = "button";
    if (onAction) {
      b.addEventListener("click", function () { onAction(action); });
    } else {
      b.disabled = true;
    }
    return b;
  }

  function flex(node, onAction) {
    switch (node.type) {
      case "box":
        var box = el("div", "bx " + (node.layout || "vertical"));
        (node.contents || []).forEach(function (c) { box.appendChild(flex(c, onAction)); });
        return box;
      case "text":
        var t = el("div", "t " + (node.size || "") + (node.weight === "bold" ? " bold" : ""), node.text);
        // Only a plain hex colour is applied, so a stored value can never smuggle other CSS in.
        if (/^#[0-9a-fA-F]{6}$/.test(node.color || "")) t.style.color = node.color;
        return t;
      case "separator":
        return el("hr");
      case "button":
        return actionButton(node.action, node.style, onAction);
      default:
        return el("div");
    }
  }

  // Return the DOM node for one message (text bubble, Flex bubble, or a placeholder).
  function message(msg, onAction) {
    if (msg.type === "text") {
      return el("div", "msg bot", msg.text);
    }
    if (msg.type === "flex") {
      var bubble = el("article", "bubble");
      bubble.setAttribute("aria-label", msg.altText || "");
      var c = msg.contents || {};
      if (c.header) { var h = flex(c.header, onAction); h.classList.add("head"); bubble.appendChild(h); }
      if (c.body) bubble.appendChild(flex(c.body, onAction));
      if (c.footer) { var f = flex(c.footer, onAction); f.classList.add("foot"); bubble.appendChild(f); }
      return bubble;
    }
    return el("div", "msg bot", "[" + msg.type + "]");
  }

  // Return quick-reply chips for a message (empty list when it has none).
  function chips(msg, onAction) {
    var items = (msg && msg.quickReply && msg.quickReply.items) || [];
    return items.map(function (item) {
      var b = el("button", "chip", item.action.label);
      b.type = "button";
      if (onAction) b.addEventListener("click", function () { onAction(item.action); });
      else b.disabled = true;
      return b;
    });
  }

  global.LineRender = { el: el, message: message, chips: chips };
})(window);
