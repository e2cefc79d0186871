// kehu — the value page's charts (ECharts), drawn from data the page embeds with json_script
// (no inline script: strict CSP).
(function () {
  "use strict";

  function init(id) {
    const el = document.getElementById(id);
    return el && typeof window.echarts !== "undefined" ? window.echarts.init(el, null, { renderer: "canvas" }) : null;
  }

  function draw() {
    const source = document.getElementById("insights-chart-data");
    if (!source) { return; }
    const data = JSON.parse(source.textContent);
    const charts = [];

    const deciles = init("clv-deciles-chart");
    if (deciles && data.deciles) {
      deciles.setOption({
        color: ["#b42318"],
        grid: { left: 8, right: 16, top: 24, bottom: 28, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "category", data: data.deciles.labels, name: data.deciles.axis, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
        series: [{ name: data.deciles.series, type: "bar", barMaxWidth: 48, data: data.deciles.shares,
                   label: { show: true, position: "top", formatter: "{c} %" } }],
      });
      charts.push(deciles);
    }

    const holdout = init("holdout-chart");
    if (holdout && data.holdout) {
      holdout.setOption({
        color: ["#8a94a6", "#b42318"],
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 28, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: window.kehuNumber },
        xAxis: { type: "category", data: data.holdout.labels, name: data.holdout.axis, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "value", name: data.holdout.value_axis, nameTextStyle: { align: "left" },
                 axisLabel: { formatter: window.kehuNumber } },
        series: [
          { name: data.holdout.predicted_label, type: "bar", barMaxWidth: 32, data: data.holdout.predicted },
          { name: data.holdout.actual_label, type: "bar", barMaxWidth: 32, data: data.holdout.actual },
        ],
      });
      charts.push(holdout);
    }

    const calibration = init("calibration-chart");
    if (calibration && data.calibration) {
      const points = data.calibration.predicted.map(function (p, i) { return [p, data.calibration.observed[i]]; });
      calibration.setOption({
        color: ["#b42318", "#8a94a6"],
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 28, containLabel: true },
        tooltip: { trigger: "item" },
        xAxis: { type: "value", min: 0, max: 1, name: data.calibration.axis, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "value", min: 0, max: 1, name: data.calibration.value_axis, nameTextStyle: { align: "left" } },
        series: [
          { name: data.calibration.series, type: "line", data: points, symbolSize: 8 },
          { name: data.calibration.ideal, type: "line", data: [[0, 0], [1, 1]], symbol: "none",
            lineStyle: { type: "dashed" } },
        ],
      });
      charts.push(calibration);
    }

    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
