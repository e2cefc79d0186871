// kehu — segmentation pages: the scheme charts (ECharts) and the filter editor, from data the
// page embeds with json_script (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function readJson(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function init(el) {
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function numberLabel(p) { return window.kehuNumber(p.value); }

  // Also the lifecycle's stage sizes: a bar per stage in lifecycle order, lost included (not a funnel:
  // the stages are not steps that every customer passes, and a funnel drew an empty stage as wide as
  // a full one).
  function drawBar(el, data) {
    init(el).setOption({
      color: data.colors || ["#b42318"],
      grid: { left: 8, right: 16, top: data.title ? 40 : 16, bottom: 8, containLabel: true },
      title: data.title ? { text: data.title, textStyle: { fontSize: 13, fontWeight: "normal" } } : undefined,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: window.kehuNumber },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, width: 90, overflow: "break" } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { formatter: window.kehuNumber } },
      series: [{ name: data.series, type: "bar", barMaxWidth: 48, data: data.values, colorBy: data.colors ? "data" : "series",
                 label: { show: true, position: "top", formatter: numberLabel } }],
    });
  }

  function drawPareto(el, data) {
    init(el).setOption({
      color: ["#b42318"],
      grid: { left: 16, right: 24, top: 24, bottom: 40, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " %"; } },
      xAxis: { type: "value", min: 0, max: 100, name: data.x, nameLocation: "middle", nameGap: 28,
               axisLabel: { formatter: "{value} %" } },
      yAxis: { type: "value", min: 0, name: data.y, nameLocation: "middle", nameGap: 48, axisLabel: { formatter: "{value} %" } },
      series: [{
        type: "line", showSymbol: false, smooth: false, data: data.points, areaStyle: { opacity: 0.08 },
        markLine: {
          silent: true, symbol: "none", lineStyle: { type: "dashed", color: "#667085" },
          label: { formatter: "{b}", position: "insideEndTop" },
          data: [{ name: data.a, yAxis: 50 }, { name: data.b, yAxis: 80 }],
        },
      }],
    });
  }

  function drawLifecycle(el, el2, data) {
    drawBar(el, data.stages);
    if (!el2) { return; }
    const names = {};
    data.links.forEach(function (l) { names[l.source] = true; names[l.target] = true; });
    init(el2).setOption({
      title: { text: data.flows_title, textStyle: { fontSize: 13, fontWeight: "normal" } },
      tooltip: { trigger: "item", valueFormatter: window.kehuNumber },
      series: [{ type: "sankey", top: 32, bottom: 8, left: 8, right: 130, nodeGap: 10, draggable: false,
                 emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.4 },
                 data: Object.keys(names).map(function (n) { return { name: n }; }), links: data.links }],
    });
  }

  function drawSchemeChart() {
    const data = readJson("scheme-chart-data");
    const el = document.getElementById("scheme-chart");
    if (!data || !el || typeof window.echarts === "undefined") { return; }
    if (data.kind === "pareto") { drawPareto(el, data); }
    else if (data.kind === "lifecycle") { drawLifecycle(el, document.getElementById("scheme-chart-2"), data); }
    else if (data.kind === "bar") { drawBar(el, data); }
  }

  // The filter editor: each field offers only its operators, and its values as suggestions.
  function setUpRulesEditor() {
    const catalogue = readJson("rules-catalogue");
    if (!catalogue) { return; }
    const byKey = {};
    catalogue.forEach(function (f) { byKey[f.key] = f; });
    document.querySelectorAll("[data-rule-row]").forEach(function (row, index) {
      const field = row.querySelector("[data-rule-field]");
      const op = row.querySelector("[data-rule-op]");
      const value = row.querySelector("[data-rule-value]");
      const list = document.createElement("datalist");
      list.id = "rule-values-" + index;
      row.appendChild(list);
      value.setAttribute("list", list.id);
      function update() {
        const spec = byKey[field.value];
        const current = op.value;
        op.innerHTML = "";
        (spec ? spec.ops : []).forEach(function (o) {
          const option = document.createElement("option");
          option.value = o.key;
          option.textContent = o.label;
          if (o.key === current) { option.selected = true; }
          op.appendChild(option);
        });
        list.innerHTML = "";
        (spec ? spec.choices : []).forEach(function (c) {
          const option = document.createElement("option");
          option.value = c.key;
          option.textContent = c.label;
          list.appendChild(option);
        });
        value.placeholder = spec && spec.type === "date" ? "YYYY-MM-DD" : "";
        value.disabled = op.value === "empty" || op.value === "not_empty";
      }
      field.addEventListener("change", update);
      op.addEventListener("change", function () { value.disabled = op.value === "empty" || op.value === "not_empty"; });
      update();
    });
  }

  function start() { drawSchemeChart(); setUpRulesEditor(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
