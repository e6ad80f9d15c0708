// The filing form: show the live address of the chosen service, ask for an http justification
// as soon as the address is http, and keep the date picker at or after the earliest cutover date
// (emergency changes may go earlier). The server checks all of this again.
(function () {
  "use strict";
  var form = document.getElementById("ticket-form");
  if (!form) { return; }
  var earliest = document.getElementById("earliest");
  var url = form.querySelector("[name=new_url]");
  var httpBlock = document.getElementById("http-block");
  var emergency = form.querySelector("[name=emergency]");
  var emergencyBlock = document.getElementById("emergency-block");
  var date = form.querySelector("[name=cutover_date]");
  var service = form.querySelector("select[name=service]");

  function isHttp() {
    return /^\s*http:/i.test(url.value);
  }
  function refresh() {
    var justification = httpBlock.querySelector("textarea");
    httpBlock.hidden = !isHttp() && !justification.value && !httpBlock.querySelector(".error");
    emergencyBlock.hidden = !emergency.checked && !emergencyBlock.querySelector(".error");
    date.min = emergency.checked ? earliest.dataset.today : earliest.dataset.earliest;
    if (service) {
      form.querySelectorAll(".live").forEach(function (line) {
        line.hidden = line.dataset.service !== service.value;
      });
    }
  }
  url.addEventListener("input", refresh);
  emergency.addEventListener("change", refresh);
  if (service) { service.addEventListener("change", refresh); }
  refresh();
})();
