// kehu — the service requests' event report chart (ECharts), drawn from data the page embeds with json_script.
(function () {
  "use strict";

  function drawCategoryChart() {
    const el = document.getElementById("requests-chart");
    const source = document.getElementById("requests-chart-data");
    if (!el || !source || typeof window.echarts === "undefined") { return; }
    const data = JSON.parse(source.textContent);
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: window.kehuNumber },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1, axisLabel: { formatter: window.kehuNumber } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "requests", barMaxWidth: 48, data: s.data };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawCategoryChart);
  } else {
    drawCategoryChart();
  }
})();
