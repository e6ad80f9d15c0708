// 总览 charts, drawn from the same JSON as the tables beside them (embedded in the page, the same
// mapping GET /api/v1/overview answers). Without JavaScript, or when printing, the tables remain.
(function () {
  "use strict";
  var source = document.getElementById("overview-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var stageLabels = { province: "省级审核", ministry: "部级审核" };

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    element.hidden = false;
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(Object.assign({ tooltip: { trigger: "axis" }, legend: {}, grid: { containLabel: true } }, option));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var names = data.provinces.map(function (row) { return row.name; });
  draw("chart-coverage", {
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: 45 } },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: "接入覆盖率", type: "bar", data: data.provinces.map(function (row) { return +(row.coverage * 100).toFixed(1); }) },
      { name: "http 链接占比", type: "bar", data: data.provinces.map(function (row) { return +(row.http_share * 100).toFixed(1); }) }
    ]
  });

  var weeks = data.trends.weeks;
  draw("chart-weeks", {
    xAxis: { type: "category", data: weeks.map(function (week) { return week.week; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "提交", type: "line", data: weeks.map(function (week) { return week.filed; }) },
      { name: "完成切换", type: "line", data: weeks.map(function (week) { return week.completed; }) }
    ]
  });

  var review = data.trends.review_hours;
  var reviewProvinces = [];
  review.forEach(function (row) { if (reviewProvinces.indexOf(row.name) < 0) { reviewProvinces.push(row.name); } });
  draw("chart-review", {
    xAxis: { type: "category", data: reviewProvinces },
    yAxis: { type: "value", name: "小时" },
    series: ["province", "ministry"].map(function (stage) {
      return {
        name: stageLabels[stage], type: "bar",
        data: reviewProvinces.map(function (name) {
          var found = review.filter(function (row) { return row.name === name && row.stage === stage; })[0];
          return found ? found.median_hours : null;
        })
      };
    })
  });
}());
