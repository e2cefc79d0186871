// kehu — the win-back page's chart (ECharts): measured win-back and prospect conversion rates beside the
// rates the sources cite, from data the page embeds with json_script (no inline script: strict CSP).
(function () {
  "use strict";

  function draw() {
    const source = document.getElementById("winback-chart-data");
    const el = document.getElementById("winback-rates-chart");
    if (!source || !el || typeof window.echarts === "undefined") { return; }
    const data = JSON.parse(source.textContent);
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    const round = function (v) { return Math.round(v * 10) / 10; };
    chart.setOption({
      color: ["#b42318", "#8a94a6"],
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return round(v) + " %"; } },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
      series: [
        { name: data.measured_label, type: "bar", barMaxWidth: 40, data: data.values.map(round),
          label: { show: true, position: "top", formatter: "{c} %" } },
        { name: data.reference_label, type: "bar", barMaxWidth: 40, data: data.reference,
          label: { show: true, position: "top", formatter: "{c} %" } },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
