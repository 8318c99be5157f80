// The kiosk page: rotate the notices, keep the clock, poll for new content, and keep the last content offline.
(function () {
  "use strict";
  var root = document.getElementById("signage");
  if (!root) return;
  var url = root.getAttribute("data-content-url");
  var etag = root.getAttribute("data-etag") || "";
  var storeKey = "signage:" + url;
  var data = JSON.parse(document.getElementById("signage-data").textContent);
  var WEEKDAYS = "日月火水木金土";
  function pollSeconds() { return Math.min(Math.max(data.poll || 10, 1), 10); }
  // Show 「更新待ち」 only after three polls in a row found no server (30 s at the usual 10 s).
  function staleAfterMs() { return 3 * pollSeconds() * 1000 + 1000; }
  var lastSuccess = Date.now();
  var shown = 0;

  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify({etag: etag, data: data})); } catch (e) { /* full or off */ }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // text only: notice text is never parsed as HTML
    return node;
  }

  function current(items) {
    var now = Date.now();
    return items.filter(function (n) { return !n.until || Date.parse(n.until) > now; });
  }

  function article(n, idle) {
    var a = el("article", "notice" + (idle ? " idle" : ""));
    if (n.until) a.setAttribute("data-until", n.until);
    var text = el("div", "text");
    text.appendChild(el("h1", "title", n.title));
    text.appendChild(el("p", "body", n.body));
    if (n.period) text.appendChild(el("p", "period", n.period));
    a.appendChild(text);
    if (n.qr) {
      var fig = el("figure", "qr");
      var img = el("img");
      img.src = n.qr;
      img.alt = "QRコード：" + n.qr_label;
      fig.appendChild(img);
      fig.appendChild(el("figcaption", "", n.qr_label));
      a.appendChild(fig);
    }
    return a;
  }

  // 災害時モード: the open and full shelters stay on screen above the rotating notices.
  function renderShelters(shelters) {
    var box = document.getElementById("shelters");
    var list = document.getElementById("shelter-list");
    if (!box || !list) return;
    list.replaceChildren();
    shelters.forEach(function (s) {
      var li = el("li", "shelter " + (s.status === "full" ? "full" : "open"));
      li.appendChild(el("span", "name", s.name));
      li.appendChild(el("span", "state", s.label));
      li.appendChild(el("span", "address", s.address));
      li.appendChild(el("span", "updated", s.updated));
      list.appendChild(li);
    });
    box.hidden = !shelters.length;
  }

  // まちの目標: the KPIs with an actual value, a strip under the notices (none in disaster mode).
  function renderKpi(items) {
    var box = document.getElementById("kpi");
    var list = document.getElementById("kpi-list");
    if (!box || !list) return;
    list.replaceChildren();
    items.forEach(function (k) {
      var li = el("li");
      li.appendChild(el("span", "name", k.name));
      li.appendChild(el("span", "value", k.value));
      var bar = el("progress");
      bar.max = 100;
      bar.value = k.percent;
      li.appendChild(bar);
      li.appendChild(el("span", "target", "目標 " + k.target));
      list.appendChild(li);
    });
    box.hidden = !items.length;
  }

  function render() {
    var items = current(data.notices || []);
    var stage = document.getElementById("stage");
    var dots = document.getElementById("dots");
    stage.replaceChildren();
    dots.replaceChildren();
    if (!items.length) {
      var idle = data.idle || {};
      stage.appendChild(article({title: "現在、お知らせはありません",
        body: data.town + "の最新情報は、LINE とホームページでもお届けしています。",
        qr: idle.qr, qr_label: idle.qr_label}, true));
    }
    items.forEach(function (n, i) {
      var a = article(n, false);
      a.hidden = i !== shown % items.length;
      stage.appendChild(a);
      var dot = el("li");
      if (!a.hidden) dot.className = "on";
      dots.appendChild(dot);
    });
    renderShelters(data.shelters || []);
    renderKpi(data.kpi || []);
    var banner = document.getElementById("disaster");
    banner.textContent = data.disaster || "";
    banner.hidden = !data.disaster;
    document.getElementById("town").textContent = data.town;
  }

  function rotate() {
    var items = current(data.notices || []);
    if (items.length > 1) {
      shown = (shown + 1) % items.length;
      render();
    }
    setTimeout(rotate, (data.rotate || 12) * 1000);
  }

  function two(v) { return (v < 10 ? "0" : "") + v; }

  function tick() {
    var d = new Date();
    // The screens hang in Japan; show Japan time whatever the kiosk's own zone is.
    var jst = new Date(d.getTime() + (d.getTimezoneOffset() + 540) * 60000);
    document.getElementById("clock").textContent = (jst.getMonth() + 1) + "月" + jst.getDate() + "日（" +
      WEEKDAYS[jst.getDay()] + "） " + two(jst.getHours()) + ":" + two(jst.getMinutes());
    var stale = Date.now() - lastSuccess > staleAfterMs();
    document.getElementById("stale").hidden = !stale;
    root.classList.toggle("is-stale", stale);
    // A notice whose period ended leaves at once, even while the server cannot be reached.
    if (current(data.notices || []).length !== (data.notices || []).length) {
      data.notices = current(data.notices || []);
      shown = 0;
      render();
      save();
    }
  }

  function poll() {
    var headers = {"Accept": "application/json"};
    if (etag) headers["If-None-Match"] = '"' + etag + '"';
    fetch(url, {headers: headers, cache: "no-store", credentials: "same-origin"}).then(function (r) {
      if (r.status === 304) { lastSuccess = Date.now(); return null; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      var tag = (r.headers.get("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
      return r.json().then(function (fresh) {
        lastSuccess = Date.now();
        etag = tag;
        data = fresh;
        shown = 0;
        render();
        save();
      });
    }).catch(function () { /* offline: keep showing what we have */ }).then(function () {
      setTimeout(poll, pollSeconds() * 1000);
    });
  }

  save();
  tick();
  setInterval(tick, 1000);
  setTimeout(rotate, (data.rotate || 12) * 1000);
  setTimeout(poll, pollSeconds() * 1000);
})();
