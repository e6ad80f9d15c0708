// The cutover date picker of the filing and edit forms: a month of days read from the server's
// working-day calendar (/api/v1/workdays/days, the data the server validates with). Days before
// the earliest cutover date, weekends and holidays are disabled; make-up working days (调休上班)
// are selectable and marked 班; blackout days and full days are marked; a provisional year is
// marked 暂定. The date field itself stays: without JavaScript it still works, and the server
// refuses a bad date either way.
(function () {
  "use strict";
  var form = document.getElementById("ticket-form");
  var banner = document.getElementById("earliest");
  if (!form || !banner || !banner.dataset.daysUrl) { return; }
  var input = form.querySelector("[name=cutover_date]");
  var emergency = form.querySelector("[name=emergency]");
  if (!input) { return; }
  var WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"];
  var shown = null;  // first day of the month on screen, "YYYY-MM-01"
  var days = {};     // "YYYY-MM-DD" -> the server's answer for that day
  var limits = {};   // the latest allowed cutover day, from the server

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function iso(d) { return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }
  function parse(text) { return new Date(text + "T00:00:00Z"); }
  function addDays(d, n) { var c = new Date(d.getTime()); c.setUTCDate(c.getUTCDate() + n); return c; }
  function firstOfMonth(text) { return text.slice(0, 8) + "01"; }
  function minimum() { return emergency && emergency.checked ? banner.dataset.today : banner.dataset.earliest; }

  var box = document.createElement("div");
  box.className = "picker";
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "切换日期日历");
  var head = document.createElement("div");
  head.className = "picker-head";
  var previous = button("‹ 上月", "上一个月");
  var title = document.createElement("strong");
  title.setAttribute("aria-live", "polite");
  var next = button("下月 ›", "下一个月");
  head.appendChild(previous); head.appendChild(title); head.appendChild(next);
  var grid = document.createElement("table");
  grid.className = "picker-grid";
  var status = document.createElement("p");
  status.className = "hint picker-status";
  box.appendChild(head); box.appendChild(grid); box.appendChild(status);
  input.parentNode.insertBefore(box, input.nextSibling);

  function button(text, label) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    return b;
  }

  function load(month) {
    var first = parse(month);
    var start = addDays(first, -((first.getUTCDay() + 6) % 7));
    var end = addDays(start, 41);
    var url = banner.dataset.daysUrl + "?from=" + iso(start) + "&to=" + iso(end);
    status.textContent = "正在读取工作日历…";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (answer) {
        answer.days.forEach(function (day) { days[day.date] = day; });
        limits.latest = answer.latest_cutover;
        shown = month;
        draw(start);
        status.textContent = "灰色日期不可选（非工作日或早于最早切换日期）；“班”为调休上班日，“封”为封网期，“满”为当日已满。";
      })
      .catch(function () { status.textContent = "工作日历读取失败，请直接在上方输入日期（YYYY-MM-DD）。"; });
  }

  function draw(start) {
    var month = parse(shown);
    title.textContent = month.getUTCFullYear() + " 年 " + (month.getUTCMonth() + 1) + " 月";
    var limit = minimum();
    var latest = limits.latest;
    var html = "<thead><tr>" + WEEKDAYS.map(function (d) { return "<th scope=\"col\">" + d + "</th>"; }).join("") + "</tr></thead><tbody>";
    for (var week = 0; week < 6; week++) {
      html += "<tr>";
      for (var i = 0; i < 7; i++) {
        var date = iso(addDays(start, week * 7 + i));
        var day = days[date];
        var inMonth = date.slice(0, 7) === shown.slice(0, 7);
        if (!day) { html += "<td></td>"; continue; }
        var selectable = day.working && date >= limit && (!latest || date <= latest);
        var marks = [];
        var classes = ["picker-day"];
        var words = [date];
        if (day.kind === "makeup_workday") { marks.push("<span class=\"mark\">班</span>"); classes.push("makeup"); words.push("调休上班日"); }
        if (day.kind === "holiday") { classes.push("holiday"); words.push(day.holiday || "节假日"); }
        if (day.kind === "weekend") { classes.push("weekend"); words.push("周末"); }
        if (day.blackout) { marks.push("<span class=\"mark mark-blackout\">封</span>"); classes.push("blackout"); words.push("封网期：" + day.blackout); }
        if (day.full) { marks.push("<span class=\"mark mark-full\">满</span>"); classes.push("full"); words.push("当日已满"); }
        else if (day.count) { words.push("已安排 " + day.count + " 个切换"); }
        if (day.provisional) { classes.push("provisional"); words.push("暂定（尚无国务院安排）"); }
        if (!inMonth) { classes.push("other-month"); }
        if (date === input.value) { classes.push("selected"); }
        words.push(selectable ? "可选" : "不可选");
        html += "<td><button type=\"button\" class=\"" + classes.join(" ") + "\" data-date=\"" + date + "\"" +
          (selectable ? "" : " disabled") + (date === input.value ? " aria-pressed=\"true\"" : " aria-pressed=\"false\"") +
          " aria-label=\"" + escape(words.join("，")) + "\" title=\"" + escape(words.slice(1).join("，")) + "\">" +
          Number(date.slice(8)) + marks.join("") + (day.provisional && inMonth && date.slice(8) === "01" ? "<span class=\"mark\">暂定</span>" : "") +
          "</button></td>";
      }
      html += "</tr>";
    }
    grid.innerHTML = html + "</tbody>";
  }

  function showMonth(offset) {
    var month = parse(shown);
    month.setUTCMonth(month.getUTCMonth() + offset);
    load(iso(month));
  }

  grid.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-date]");
    if (!target || target.disabled) { return; }
    input.value = target.dataset.date;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    draw(parse(grid.querySelector("button[data-date]").dataset.date));
  });
  previous.addEventListener("click", function () { showMonth(-1); });
  next.addEventListener("click", function () { showMonth(1); });
  input.addEventListener("change", function () {
    if (/^\d{4}-\d{2}-\d{2}$/.test(input.value) && firstOfMonth(input.value) !== shown) { load(firstOfMonth(input.value)); }
  });
  if (emergency) {
    emergency.addEventListener("change", function () { if (shown) { load(shown); } });
  }
  load(firstOfMonth(/^\d{4}-\d{2}-\d{2}$/.test(input.value) ? input.value : minimum()));
})();
