/* Draw the dashboard's and town page's charts with the vendored ECharts, from the JSON the page embeds
   with json_script: [data-chart] elements name their data (data-chart-source) and kind (trend, towns, classes,
   economy). Loaded deferred after echarts.custom.min.js, so both have run once the page is parsed.

   A chart is drawn when it comes near the screen (IntersectionObserver): on a phone on a slow network the
   charts further down cost nothing until they are read. Those near it at load are drawn at once; then the
   performance mark "charts-drawn" is set (detail.drawn: how many were), which the browser bench times.
   Printing draws any chart not yet drawn (beforeprint), without animation so the paper has the whole of each. */
(function () {
  "use strict";

  var COLORS = { actual: "#0d6efd", pace: "#fd7e14", target: "#dc3545" };
  var METRIC_COLORS = ["#0d6efd", "#198754", "#6f42c1"];
  var GRADE_COLORS = ["#198754", "#0d6efd", "#ffc107", "#dc3545"];

  // Near the screen means within this much of it: a chart is drawn just before it scrolls in.
  var NEAR = "200px 0px";
  var DRAWN_MARK = "charts-drawn";

  var parsed = {};

  function embedded(element) {
    var source = element.dataset.chartSource;
    if (!(source in parsed)) {
      parsed[source] = JSON.parse(document.getElementById(source).textContent);
    }
    return parsed[source];
  }

  function formatNumber(value, unit) {
    if (value === null || value === undefined) {
      return "—";
    }
    return value.toLocaleString(document.documentElement.lang, { maximumFractionDigits: 2 }) + (unit ? " " + unit : "");
  }

  function trendOption(chart, key) {
    var metric = chart.metrics.filter(function (each) { return each.key === key; })[0];
    var series = [{
      name: chart.labels.actual,
      type: "bar",
      data: metric.actual,
      barMaxWidth: 18,
      itemStyle: { color: COLORS.actual }
    }];
    if (metric.target !== null) {
      series.push({
        name: chart.labels.pace,
        type: "line",
        data: metric.pace,
        symbol: "none",
        lineStyle: { type: "dashed", color: COLORS.pace },
        itemStyle: { color: COLORS.pace }
      });
      series.push({
        name: chart.labels.target,
        type: "line",
        data: chart.months.map(function () { return metric.target; }),
        symbol: "none",
        lineStyle: { color: COLORS.target },
        itemStyle: { color: COLORS.target }
      });
    }
    return {
      title: { text: metric.title, left: 0, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", valueFormatter: function (value) { return formatNumber(value, metric.unit); } },
      legend: { bottom: 0, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 12, top: 40, bottom: 36, containLabel: true },
      xAxis: { type: "category", data: chart.months, axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", axisLabel: { fontSize: 10 } },
      series: series
    };
  }

  function townsOption(chart) {
    var series = chart.series.map(function (each, index) {
      return {
        name: each.label,
        type: "bar",
        data: each.values,
        barMaxWidth: 12,
        itemStyle: { color: METRIC_COLORS[index % METRIC_COLORS.length] }
      };
    });
    if (series.length) {
      series[0].markLine = {
        silent: true,
        symbol: "none",
        data: [{ xAxis: chart.time_progress }],
        label: { position: "start", formatter: chart.labels.time_progress + " " + chart.time_progress.toFixed(1) + "%" },
        lineStyle: { type: "dashed", color: COLORS.pace, width: 2 }
      };
    }
    return {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (value) { return value === null || value === undefined ? "—" : value.toFixed(1) + "%"; }
      },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 28, top: 64, bottom: 28, containLabel: true },
      xAxis: {
        type: "value",
        name: chart.labels.axis,
        nameLocation: "middle",
        nameGap: 22,
        axisLabel: { formatter: "{value}%", fontSize: 10 }
      },
      yAxis: { type: "category", data: chart.towns, inverse: true, axisLabel: { fontSize: 11 } },
      series: series
    };
  }

  function classesOption(chart) {
    // The evaluation's classes per town, stacked: one bar a town, A to D from green to red.
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 10 } },
      yAxis: { type: "category", data: chart.towns, inverse: true, axisLabel: { fontSize: 11 } },
      series: chart.series.map(function (each, index) {
        return {
          name: each.label,
          type: "bar",
          stack: "classes",
          data: each.values,
          barMaxWidth: 16,
          itemStyle: { color: GRADE_COLORS[index % GRADE_COLORS.length] }
        };
      })
    };
  }

  function economyOption(chart) {
    // 快中求稳: the growth of industrial value added month by month, one line per region (Pinghu, Jiaxing).
    return {
      title: { text: chart.title, left: 0, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis", valueFormatter: function (value) { return formatNumber(value, "%"); } },
      legend: { bottom: 0, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 12, top: 40, bottom: 36, containLabel: true },
      xAxis: { type: "category", data: chart.months, axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", axisLabel: { formatter: "{value}%", fontSize: 10 } },
      series: chart.series.map(function (each, index) {
        return {
          name: each.label,
          type: "line",
          data: each.values,
          connectNulls: true,
          itemStyle: { color: METRIC_COLORS[index % METRIC_COLORS.length] }
        };
      })
    };
  }

  function optionFor(element) {
    var chart = embedded(element);
    if (element.dataset.chart === "economy") {
      return economyOption(chart);
    }
    if (element.dataset.chart === "towns") {
      return townsOption(chart);
    }
    if (element.dataset.chart === "classes") {
      return classesOption(chart);
    }
    return trendOption(chart, element.dataset.metric);
  }

  // The bar charts of towns grow with the number of towns; their boxes take that height before anything is
  // drawn, so the charts below stay where they are as those above appear.
  function setHeight(element) {
    var chart;
    if (element.dataset.chart === "towns") {
      // One band of three bars per town: tall enough to read on a phone.
      chart = embedded(element);
      element.style.height = Math.max(260, chart.towns.length * 54 + 90) + "px";
    } else if (element.dataset.chart === "classes") {
      chart = embedded(element);
      element.style.height = Math.max(220, chart.towns.length * 30 + 80) + "px";
    }
  }

  function start() {
    if (typeof echarts === "undefined") {
      // The library did not load: the tables for screen readers hold the same figures.
      return;
    }
    var elements = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
    var instances = [];
    if (!elements.length) {
      performance.mark(DRAWN_MARK, { detail: { drawn: 0 } });
      return;
    }

    function draw(element, animate) {
      if (echarts.getInstanceByDom(element)) {
        return;
      }
      var option = optionFor(element);
      option.animation = animate;
      var instance = echarts.init(element, null, { renderer: "canvas" });
      instance.setOption(option);
      instances.push(instance);
    }

    elements.forEach(setHeight);
    window.addEventListener("resize", function () {
      instances.forEach(function (instance) { instance.resize(); });
    });
    window.addEventListener("beforeprint", function () {
      elements.forEach(function (element) { draw(element, false); });
    });

    if (!("IntersectionObserver" in window)) {
      elements.forEach(function (element) { draw(element, true); });
      performance.mark(DRAWN_MARK, { detail: { drawn: elements.length } });
      return;
    }
    var reportedFirst = false;
    var observer = new IntersectionObserver(function (entries) {
      var near = entries.filter(function (entry) { return entry.isIntersecting; });
      near.forEach(function (entry) {
        observer.unobserve(entry.target);
        draw(entry.target, true);
      });
      // The first report covers every chart: those near the screen at load are now drawn.
      if (!reportedFirst) {
        reportedFirst = true;
        performance.mark(DRAWN_MARK, { detail: { drawn: near.length } });
      }
    }, { rootMargin: NEAR });
    elements.forEach(function (element) { observer.observe(element); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
