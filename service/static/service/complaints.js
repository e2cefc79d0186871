// kehu — the complaints analysis charts (ECharts), drawn from data the page embeds with json_script.
(function () {
  "use strict";

  function bar(id, data, color) {
    const el = document.getElementById(id);
    if (!el || !data) { return; }
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: [color],
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: window.kehuNumber },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, hideOverlap: false, width: 80, overflow: "break" } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { formatter: window.kehuNumber } },
      series: [{ name: data.series, type: "bar", barMaxWidth: 40, data: data.values }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    const source = document.getElementById("complaints-chart-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    const data = JSON.parse(source.textContent);
    bar("complaints-month-chart", data.months, "#b42318");
    bar("complaints-category-chart", data.category, "#175cd3");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
