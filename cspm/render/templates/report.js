(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // --- zoom and pan ------------------------------------------------------------------------------
  function setupViewport(viewport) {
    var canvas = viewport.querySelector(".map-canvas");
    if (!canvas) { return null; }
    var state = { scale: 1, x: 0, y: 0 };
    function apply() {
      canvas.style.transform = "translate(" + state.x + "px," + state.y + "px) scale(" + state.scale + ")";
    }
    function fit() {
      var svg = canvas.querySelector("svg");
      if (!svg) { return; }
      var w = svg.getBoundingClientRect().width / state.scale;
      var h = svg.getBoundingClientRect().height / state.scale;
      var vw = viewport.clientWidth, vh = viewport.clientHeight;
      if (!w || !h || !vw || !vh) { return; }
      state.scale = Math.min(vw / w, vh / h, 1.5);
      state.x = (vw - w * state.scale) / 2;
      state.y = Math.max((vh - h * state.scale) / 2, 0);
      apply();
    }
    function zoomAt(factor, cx, cy) {
      var next = Math.min(Math.max(state.scale * factor, 0.05), 20);
      var k = next / state.scale;
      state.x = cx - (cx - state.x) * k;
      state.y = cy - (cy - state.y) * k;
      state.scale = next;
      apply();
    }
    viewport.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = viewport.getBoundingClientRect();
      zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    var drag = null;
    viewport.addEventListener("pointerdown", function (ev) {
      drag = { x: ev.clientX - state.x, y: ev.clientY - state.y, moved: false };
      viewport.classList.add("dragging");
    });
    viewport.addEventListener("pointermove", function (ev) {
      if (!drag) { return; }
      drag.moved = true;
      state.x = ev.clientX - drag.x;
      state.y = ev.clientY - drag.y;
      apply();
    });
    function stop() { drag = null; viewport.classList.remove("dragging"); }
    viewport.addEventListener("pointerup", stop);
    viewport.addEventListener("pointercancel", stop);
    return {
      fit: fit,
      zoom: function (factor) { zoomAt(factor, viewport.clientWidth / 2, viewport.clientHeight / 2); }
    };
  }

  // --- export of a chart as SVG or PNG ----------------------------------------------------------
  function svgText(svg) {
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    copy.removeAttribute("style");
    return new XMLSerializer().serializeToString(copy);
  }
  function exportChart(svg, kind) {
    var text = svgText(svg);
    if (kind === "svg") {
      return Promise.resolve(new Blob([text], { type: "image/svg+xml" }));
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var box = svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width ? svg.viewBox.baseVal : null;
        var w = Math.ceil(box ? box.width : img.width), h = Math.ceil(box ? box.height : img.height);
        var k = Math.min(2, 8000 / Math.max(w, h, 1));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * k));
        canvas.height = Math.max(1, Math.round(h * k));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) { if (blob) { resolve(blob); } else { reject(new Error("no PNG")); } }, "image/png");
      };
      img.onerror = function () { reject(new Error("the SVG could not be drawn")); };
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
    });
  }
  function download(svg, kind, name) {
    exportChart(svg, kind).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name + "." + kind;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  }
  window.cspmExportChart = exportChart;
  function chartName(el) {
    var section = el.closest("section");
    return (section && section.id ? section.id : "chart") + "-" + (el.getAttribute("data-chart-index") || "1");
  }
  function setupChartExports() {
    var charts = document.querySelectorAll(".cspm-chart, figure.network, figure.chart");
    each(charts, function (chart, i) {
      var svg = chart.querySelector("svg");
      if (!svg) { return; }
      chart.setAttribute("data-chart-index", String(i + 1));
      var bar = document.createElement("div");
      bar.className = "chart-export no-print";
      ["svg", "png"].forEach(function (kind) {
        var b = document.createElement("button");
        b.type = "button";
        b.setAttribute("data-export", kind);
        b.title = {{ _("Download this chart as {format}")|tojson }}.replace("{format}", kind.toUpperCase());
        b.textContent = kind.toUpperCase();
        b.addEventListener("click", function () { download(svg, kind, chartName(chart)); });
        bar.appendChild(b);
      });
      chart.parentNode.insertBefore(bar, chart);
    });
  }

  // --- long tables: the first rows and one row for the others ---------------------------------
  var TOP_ROWS = 25;
  function setupTables() {
    each(document.querySelectorAll(".cspm-section table.data, .cspm-section table.cspm-table"), function (table) {
      var body = table.tBodies[0];
      if (!body || body.rows.length <= TOP_ROWS + 5) { return; }
      var rows = Array.prototype.slice.call(body.rows), hidden = rows.slice(TOP_ROWS);
      hidden.forEach(function (tr) { tr.classList.add("cspm-more-row"); });
      var more = body.insertRow(), cell = more.insertCell();
      more.className = "cspm-others";
      cell.colSpan = Math.max(1, rows[0].cells.length);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "no-print";
      button.textContent = {{ _("Show all {n} rows")|tojson }}.replace("{n}", rows.length);
      var note = document.createElement("span");
      note.textContent = {{ _("… and {n} more rows ({all} in all). ")|tojson }}.replace("{n}", hidden.length).replace("{all}", rows.length);
      cell.appendChild(note);
      cell.appendChild(button);
      button.addEventListener("click", function () {
        var all = table.classList.toggle("cspm-all-rows");
        button.textContent = all ? {{ _("Show the first {n} rows")|tojson }}.replace("{n}", TOP_ROWS) : {{ _("Show all {n} rows")|tojson }}.replace("{n}", rows.length);
      });
      table.setAttribute("data-rows", String(rows.length));
    });
  }

  // --- the maps section ------------------------------------------------------------------------
  function keyOf(el, prefix) {
    var found = null;
    each(el.classList, function (c) { if (c.indexOf(prefix) === 0) { found = c.slice(prefix.length); } });
    return found;
  }
  function setupMaps(section) {
    var tabs = section.querySelectorAll(".map-tabs button[data-view], .map-tabs button[data-measure]");
    var views = section.querySelectorAll(".map-view");
    var controls = new Map();
    each(views, function (view) {
      var vp = view.querySelector(".map-viewport");
      if (vp) { controls.set(view, setupViewport(vp)); }
    });
    var dataEl = section.querySelector("script[type='application/json']");
    var data = dataEl ? JSON.parse(dataEl.textContent) : null;
    var state = { view: views.length ? views[0].getAttribute("data-view") : null, stat: "median",
                  level: data ? data.initial[0] : 0, path: data ? data.initial[1] : 0, query: "" };
    var details = section.querySelector(".map-details");
    var status = section.querySelector(".map-status");

    function shownView() { return section.querySelector(".map-view:not([hidden])"); }
    function current() { var v = shownView(); return v ? controls.get(v) : null; }

    function applyPaths(view) {
      if (!data) { return; }
      var lv = data.levels[state.level], kept = lv.paths[state.path];
      var edges = new Set(kept.edges), starts = new Set(kept.starts), ends = new Set(kept.ends);
      var shownEdges = 0;
      each(view.querySelectorAll("g.cspm-edge"), function (g) {
        var on = edges.has(keyOf(g, "cspm-k-"));
        g.classList.toggle("cspm-hidden", !on);
        if (on) { shownEdges += 1; }
        var item = lv.items[keyOf(g, "cspm-k-")];
        var text = g.querySelector("text");
        if (item && text && item.labels) {
          var label = item.labels[state.view === "frequency" ? "frequency" : state.stat];
          text.textContent = (item.warn ? "⚠ " : "") + label;
        }
      });
      each(view.querySelectorAll("g.cspm-start-edge"), function (g) { g.classList.toggle("cspm-hidden", !starts.has(keyOf(g, "cspm-s-"))); });
      each(view.querySelectorAll("g.cspm-end-edge"), function (g) { g.classList.toggle("cspm-hidden", !ends.has(keyOf(g, "cspm-t-"))); });
      var steps = view.querySelectorAll("g.cspm-node").length;
      if (status) {
        status.setAttribute("data-steps", String(steps));
        status.setAttribute("data-transitions", String(shownEdges));
        status.textContent = {{ _("{steps} steps, {transitions} transitions shown.")|tojson }}.replace("{steps}", steps).replace("{transitions}", shownEdges) +
          (state.path < lv.drawnFrom ? {{ _(" (Drawn with the most frequent transitions only: this level has too many to draw them all.)")|tojson }} : "");
      }
      var av = section.querySelector(".map-activities-value");
      if (av) { av.textContent = {{ _("{steps} steps ({share}%% of events)")|tojson }}.replace("{steps}", lv.steps).replace("{share}", Math.round(lv.share * 100)); }
      var pv = section.querySelector(".map-paths-value");
      if (pv) { pv.textContent = {{ _("{n} transitions")|tojson }}.replace("{n}", shownEdges); }
    }
    function applySearch(view) {
      var q = state.query.trim().toLowerCase(), hits = 0;
      var lv = data ? data.levels[state.level] : null;
      each(view.querySelectorAll("g.cspm-node"), function (g) {
        var item = lv ? lv.items[keyOf(g, "cspm-k-")] : null;
        var name = item ? item.name : g.textContent;
        var hit = q !== "" && name.toLowerCase().indexOf(q) >= 0;
        g.classList.toggle("cspm-match", hit);
        if (hit) { hits += 1; }
      });
      view.classList.toggle("searching", q !== "");
      var out = section.querySelector(".map-search-result");
      if (out) {
        out.setAttribute("data-hits", String(hits));
        out.textContent = q === "" ? "" : (hits === 1 ? {{ _("1 step matches")|tojson }} : {{ _("{n} steps match")|tojson }}.replace("{n}", hits));
      }
    }
    function show() {
      var chosen = null;
      each(views, function (v) {
        var on = v.getAttribute("data-view") === state.view &&
          (!data || Number(v.getAttribute("data-level")) === state.level);
        v.hidden = !on;
        if (on) { chosen = v; }
      });
      each(tabs, function (t) {
        var on = t.hasAttribute("data-stat") ? t.getAttribute("data-stat") === (state.view === "frequency" ? "frequency" : state.stat)
          : t.getAttribute("data-view") === state.view;
        t.setAttribute("aria-selected", on ? "true" : "false");
      });
      var perf = section.querySelector(".legend-perf"), freq = section.querySelector(".legend-freq");
      if (perf && freq) { perf.hidden = state.view === "frequency"; freq.hidden = state.view !== "frequency"; }
      var statName = section.querySelector(".legend-stat");
      if (statName) { statName.textContent = { mean: {{ _("mean")|tojson }}, median: {{ _("median")|tojson }}, p90: {{ _("P90")|tojson }}, total: {{ _("total")|tojson }} }[state.stat]; }
      if (chosen) {
        applyPaths(chosen);
        applySearch(chosen);
        var c = controls.get(chosen);
        if (c) { c.fit(); }
      }
      section.setAttribute("data-shown", state.view + ":" + state.level + ":" + state.path + ":" + state.stat);
    }
    function showDetails(item) {
      if (!details) { return; }
      details.textContent = "";
      var h = document.createElement("h3");
      h.textContent = (item.warn ? "⚠ " : "") + item.name;
      details.appendChild(h);
      var kind = document.createElement("p");
      kind.className = "note";
      kind.textContent = item.kind === "step" ? {{ _("Step")|tojson }} : {{ _("Transition")|tojson }};
      details.appendChild(kind);
      var table = document.createElement("table");
      table.className = "data";
      function row(k, v) {
        var tr = table.insertRow(), a = tr.insertCell(), b = tr.insertCell();
        a.textContent = k; b.textContent = v; b.className = "num";
      }
      item.figures.forEach(function (f) { row(f[0], f[1]); });
      if (item.target) {
        row({{ _("Target")|tojson }}, item.target.target);
        row({{ _("Attained")|tojson }}, item.target.attained);
        row({{ _("Breach")|tojson }}, item.target.breach);
      }
      details.appendChild(table);
      if (item.sample && item.sample.length) {
        var cap = document.createElement("p");
        cap.textContent = {{ _("Slowest tickets through it (lead time):")|tojson }};
        details.appendChild(cap);
        var list = document.createElement("ul");
        list.className = "map-sample";
        item.sample.forEach(function (s) {
          var li = document.createElement("li");
          li.textContent = s[0] + " — " + s[1];
          li.setAttribute("data-ticket", s[0]);
          list.appendChild(li);
        });
        details.appendChild(list);
      }
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = {{ _("Close")|tojson }};
      close.addEventListener("click", function () { details.hidden = true; });
      details.appendChild(close);
      details.hidden = false;
    }
    var tip = document.createElement("div");
    tip.className = "map-tip";
    tip.hidden = true;
    section.appendChild(tip);
    if (data) {
      each(views, function (view) {
        // Graphviz's own <title> elements name the nodes a0, a1, …: the tooltip below replaces them.
        each(view.querySelectorAll("svg title"), function (t) { t.remove(); });
        view.addEventListener("click", function (ev) {
          var g = ev.target.closest ? ev.target.closest("g.cspm-node, g.cspm-edge") : null;
          if (!g) { return; }
          var item = data.levels[state.level].items[keyOf(g, "cspm-k-")];
          if (item) { showDetails(item); }
        });
        view.addEventListener("mouseover", function (ev) {
          var g = ev.target.closest ? ev.target.closest("g.cspm-node, g.cspm-edge") : null;
          var item = g ? data.levels[state.level].items[keyOf(g, "cspm-k-")] : null;
          if (!item) { tip.hidden = true; return; }
          tip.textContent = item.name + " · " + item.figures.slice(0, 3).map(function (f) { return f[0] + " " + f[1]; }).join(" · ");
          var r = section.getBoundingClientRect();
          tip.style.left = (ev.clientX - r.left + 12) + "px";
          tip.style.top = (ev.clientY - r.top + 12) + "px";
          tip.hidden = false;
        });
        view.addEventListener("mouseleave", function () { tip.hidden = true; });
      });
      var act = section.querySelector(".map-activities"), pth = section.querySelector(".map-paths");
      var nLevels = data.levels.length, nPaths = data.paths.length;
      if (act) { act.addEventListener("input", function () { state.level = nLevels - 1 - Number(act.value); show(); }); }
      if (pth) { pth.addEventListener("input", function () { state.path = nPaths - 1 - Number(pth.value); show(); }); }
      var search = section.querySelector(".map-search");
      if (search) { search.addEventListener("input", function () { state.query = search.value; var v = shownView(); if (v) { applySearch(v); } }); }
    }
    each(tabs, function (t) {
      t.addEventListener("click", function () {
        if (t.hasAttribute("data-measure")) {
          state.view = t.getAttribute("data-measure");
          if (t.getAttribute("data-stat") !== "frequency") { state.stat = t.getAttribute("data-stat"); }
        } else {
          state.view = t.getAttribute("data-view");
        }
        show();
      });
    });
    each(section.querySelectorAll(".zoom button[data-zoom]"), function (b) {
      b.addEventListener("click", function () {
        var c = current();
        if (!c) { return; }
        var what = b.getAttribute("data-zoom");
        if (what === "fit") { c.fit(); } else { c.zoom(what === "in" ? 1.25 : 0.8); }
      });
    });
    each(section.querySelectorAll(".zoom button[data-export]"), function (b) {
      b.addEventListener("click", function () {
        var v = shownView(), svg = v ? v.querySelector("svg") : null;
        if (svg) { download(svg, b.getAttribute("data-export"), section.id + "-" + state.view); }
      });
    });
    show();
    section.cspmMaps = { state: state, show: show };
  }
  document.addEventListener("DOMContentLoaded", function () {
    each(document.querySelectorAll("[data-maps]"), setupMaps);
    setupChartExports();
    setupTables();
    document.documentElement.setAttribute("data-maps-ready", "true");
  });
})();
