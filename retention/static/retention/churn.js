// kehu — the churn page's charts (ECharts), drawn from the data the page embeds with json_script
// (no inline script: strict CSP). Every chart's numbers are also in the page's tables and downloads.
(function () {
  "use strict";

  function init(id) {
    const el = document.getElementById(id);
    return el && typeof window.echarts !== "undefined" ? window.echarts.init(el, null, { renderer: "canvas" }) : null;
  }

  const grid = { left: 8, right: 16, top: 36, bottom: 28, containLabel: true };
  const number = window.kehuNumber || function (v) { return v; };

  function draw() {
    const source = document.getElementById("churn-chart-data");
    if (!source) { return; }
    const data = JSON.parse(source.textContent);
    const charts = [];

    const rates = init("churn-rates-chart");
    if (rates && data.rates) {
      rates.setOption({
        color: ["#8a94a6", "#b42318"],
        legend: { top: 0 },
        grid: grid,
        tooltip: { trigger: "axis", valueFormatter: number },
        xAxis: { type: "category", data: data.rates.labels },
        yAxis: [{ type: "value", name: data.rates.lost_label, axisLabel: { formatter: number } },
                { type: "value", name: data.rates.rate_label, axisLabel: { formatter: "{value} %" } }],
        series: [
          { name: data.rates.lost_label, type: "bar", barMaxWidth: 24, data: data.rates.lost },
          { name: data.rates.rate_label, type: "line", yAxisIndex: 1, data: data.rates.rate, connectNulls: false },
        ],
      });
      charts.push(rates);
    }

    const breakdown = init("churn-breakdown-chart");
    if (breakdown && data.breakdown) {
      breakdown.setOption({
        color: ["#b42318"],
        grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: number },
        xAxis: { type: "value", name: data.breakdown.label },
        yAxis: { type: "category", data: data.breakdown.labels.slice().reverse(), axisLabel: { width: 160, overflow: "truncate" } },
        series: [{ name: data.breakdown.label, type: "bar", barMaxWidth: 20, data: data.breakdown.values.slice().reverse(),
                   label: { show: true, position: "right" } }],
      });
      charts.push(breakdown);
    }

    const margin = init("churn-margin-chart");
    if (margin && data.margin) {
      margin.setOption({
        color: ["#b42318", "#e4a11b"],
        legend: { top: 0 },
        grid: grid,
        tooltip: { trigger: "axis", valueFormatter: number },
        xAxis: { type: "category", data: data.margin.labels },
        yAxis: { type: "value", axisLabel: { formatter: number } },
        series: [
          { name: data.margin.margin_label, type: "bar", barMaxWidth: 24, data: data.margin.margin },
          { name: data.margin.clv_label, type: "bar", barMaxWidth: 24, data: data.margin.clv },
        ],
      });
      charts.push(margin);
    }

    const curves = init("churn-curves-chart");
    if (curves && data.curves && data.curves.series.length) {
      const longest = Math.max.apply(null, data.curves.series.map(function (s) { return s.data.length; }));
      curves.setOption({
        legend: { top: 0, type: "scroll" },
        grid: grid,
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", name: data.curves.axis, nameLocation: "middle", nameGap: 28,
                 data: Array.from({ length: longest }, function (_, k) { return k; }) },
        yAxis: { type: "value", min: 0, max: 100, name: data.curves.value_axis, axisLabel: { formatter: "{value} %" } },
        series: data.curves.series.map(function (s) { return { name: s.name, type: "line", data: s.data, symbolSize: 4 }; }),
      });
      charts.push(curves);
    }

    const sbg = init("churn-sbg-chart");
    if (sbg && data.sbg && data.sbg.series.length) {
      const series = [];
      let longest = 0;
      data.sbg.series.forEach(function (s) {
        longest = Math.max(longest, s.projected.length);
        series.push({ name: s.name, type: "line", data: s.actual, symbolSize: 7 });
        series.push({ name: s.name + " · " + data.sbg.projected, type: "line", data: s.projected,
                      lineStyle: { type: "dashed" }, symbol: "none" });
      });
      sbg.setOption({
        legend: { top: 0, type: "scroll" },
        grid: grid,
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", name: data.sbg.axis, nameLocation: "middle", nameGap: 28,
                 data: Array.from({ length: longest }, function (_, k) { return k; }) },
        yAxis: { type: "value", min: 0, max: 100, name: data.sbg.value_axis, axisLabel: { formatter: "{value} %" } },
        series: series,
      });
      charts.push(sbg);
    }

    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
