// kehu — the home dashboard's chart (ECharts), drawn from data the page embeds with json_script.
(function () {
  "use strict";

  function drawRiskChart() {
    const el = document.getElementById("risk-chart");
    const source = document.getElementById("risk-chart-data");
    if (!el || !source || typeof window.echarts === "undefined") { return; }
    const data = JSON.parse(source.textContent);
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: ["#b42318"],
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: window.kehuNumber },
      xAxis: {
        type: "category",
        data: data.labels,
        axisTick: { alignWithLabel: true },
        axisLabel: { interval: 0, hideOverlap: false, width: 80, overflow: "break" },
      },
      yAxis: { type: "value", minInterval: 1, axisLabel: { formatter: window.kehuNumber } },
      series: [{
        name: data.series,
        type: "bar",
        barMaxWidth: 48,
        data: data.values,
        label: { show: true, position: "top", formatter: function (p) { return window.kehuNumber(p.value); } },
      }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawRiskChart);
  } else {
    drawRiskChart();
  }
})();
