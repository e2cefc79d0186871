// kehu — the Wealth tab of the customer card: the allocation pie (ECharts), from the data the page
// embeds with json_script (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function draw() {
    const source = document.getElementById("wealth-allocation-data");
    const el = document.getElementById("wealth-allocation-chart");
    if (!source || !el || typeof window.echarts === "undefined") { return; }
    const data = JSON.parse(source.textContent);
    const number = window.kehuNumber || function (v) { return String(v); };
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: data.title, textStyle: { fontSize: 13, fontWeight: "normal" } },
      tooltip: { trigger: "item", valueFormatter: function (v) { return number(v) + " " + data.currency; } },
      legend: { type: "scroll", orient: "vertical", right: 0, top: 24 },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["38%", "55%"], data: data.data,
                 label: { formatter: "{b}: {d}%" } }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
