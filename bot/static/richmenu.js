// Rich-menu editor: show the tiles the chosen layout uses, the fields of each tile's action, and refresh the
// preview image (drawn by the server, as LINE will get it) and its tap areas while staff type.
(function () {
  "use strict";
  var form = document.getElementById("richmenu-form");
  var svg = document.getElementById("rm-preview");
  var image = document.getElementById("rm-image");
  var areas = document.getElementById("rm-areas");
  var layoutsData = document.getElementById("rm-layouts");
  if (!form || !svg || !image || !areas || !layoutsData) { return; }
  var layouts = JSON.parse(layoutsData.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var timer = null;

  function value(name) {
    var el = form.elements.namedItem(name);
    return el ? el.value : "";
  }

  function bounds(layout) {
    var out = [];
    for (var j = 0; j < layout.rows; j++) {
      for (var i = 0; i < layout.cols; i++) {
        var x0 = Math.floor(layout.width * i / layout.cols), x1 = Math.floor(layout.width * (i + 1) / layout.cols);
        var y0 = Math.floor(layout.height * j / layout.rows), y1 = Math.floor(layout.height * (j + 1) / layout.rows);
        out.push([x0, y0, x1 - x0, y1 - y0]);
      }
    }
    return out;
  }

  function node(tag, attrs, text) {
    var el = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) { el.textContent = text; }
    return el;
  }

  function drawAreas(layout) {
    svg.setAttribute("viewBox", "0 0 " + layout.width + " " + layout.height);
    image.setAttribute("width", layout.width);
    image.setAttribute("height", layout.height);
    areas.textContent = "";
    bounds(layout).forEach(function (b, n) {
      areas.appendChild(node("rect", {x: b[0] + 6, y: b[1] + 6, width: b[2] - 12, height: b[3] - 12, fill: "none",
        stroke: "#f59e0b", "stroke-width": 12, "stroke-dasharray": "40 24"}));
      areas.appendChild(node("circle", {cx: b[0] + 70, cy: b[1] + 90, r: 48, fill: "#f59e0b"}));
      areas.appendChild(node("text", {x: b[0] + 70, y: b[1] + 108, "text-anchor": "middle", "font-size": 56,
        "font-weight": "bold", fill: "#111827"}, String(n + 1)));
    });
  }

  function showFields(layout) {
    form.querySelectorAll(".rm-tile").forEach(function (set) {
      var n = Number(set.getAttribute("data-tile"));
      var used = n <= layout.cells;
      set.hidden = !used;
      set.disabled = !used;
      var kind = value("t" + n + "_kind");
      set.querySelectorAll(".rm-when").forEach(function (f) {
        f.hidden = !f.classList.contains(kind);
      });
    });
  }

  function refreshImage(layout) {
    var params = new URLSearchParams();
    params.set("mode", value("mode"));
    params.set("layout", value("layout"));
    for (var n = 1; n <= layout.cells; n++) {
      params.set("t" + n + "_label", value("t" + n + "_label"));
      if (value("t" + n + "_sub")) { params.set("t" + n + "_sub", value("t" + n + "_sub")); }
    }
    image.setAttribute("href", form.getAttribute("data-preview") + "?" + params.toString());
  }

  function update(immediate) {
    var layout = layouts[value("layout")];
    if (!layout) { return; }
    showFields(layout);
    drawAreas(layout);
    clearTimeout(timer);
    // Drawing takes the server a moment: wait until typing pauses.
    timer = setTimeout(function () { refreshImage(layout); }, immediate ? 0 : 500);
  }

  form.addEventListener("input", function () { update(false); });
  form.addEventListener("change", function () { update(false); });
  var initial = layouts[value("layout")];
  if (initial) { showFields(initial); }
  // Typing done before this script ran raised no event we heard: catch up with it at once.
  var changed = Array.prototype.some.call(form.elements, function (el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
    if (el.options) {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return "defaultValue" in el && el.value !== el.defaultValue;
  });
  if (changed) { update(true); }
})();
