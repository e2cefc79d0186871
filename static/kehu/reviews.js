// kehu — the asset review's charts (ECharts): allocation by class (pie) and total assets at each
// review (bar), drawn from the data the page embeds with json_script ("review-chart-data").
(function () {
  "use strict";

  function number(value) {
    return typeof window.kehuNumber === "function" ? window.kehuNumber(value) : String(value);
  }

  function draw(id, option) {
    const el = document.getElementById(id);
    if (!el) { return; }
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawReviewCharts() {
    const source = document.getElementById("review-chart-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    const data = JSON.parse(source.textContent);
    if (data.masked) { return; }
    draw("review-allocation-chart", {
      tooltip: { trigger: "item", valueFormatter: number },
      legend: { bottom: 0, type: "scroll" },
      series: [{
        name: data.allocationTitle, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
        data: data.allocation,
        label: { formatter: "{b}: {d}%" },
      }],
    });
    draw("review-history-chart", {
      color: ["#2563eb"],
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: number },
      xAxis: { type: "category", data: data.history.map(function (h) { return h.day; }), axisTick: { alignWithLabel: true } },
      yAxis: { type: "value", name: data.currency, axisLabel: { formatter: number } },
      series: [{
        name: data.historyTitle, type: "bar", barMaxWidth: 40,
        data: data.history.map(function (h) {
          return { value: h.value, itemStyle: h.current ? { color: "#b42318" } : undefined };
        }),
      }],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawReviewCharts);
  } else {
    drawReviewCharts();
  }
})();
