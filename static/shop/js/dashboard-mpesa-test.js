// "Test M-Pesa setup": follow the test prompt live by polling its small status URL every
// few seconds until M-Pesa's answer arrives. Without JavaScript a reload shows the same.
(function () {
  "use strict";
  var root = document.getElementById("mpesa-test-status");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-status-url");
  var interval = 2500;

  function render(status) {
    root.querySelectorAll("[data-field]").forEach(function (el) {
      var value = status[el.getAttribute("data-field")];
      el.textContent = value === null || value === "" ? "—" : value;
    });
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return schedule(); }
        render(status);
        if (status.is_open) { schedule(); }
      })
      .catch(schedule);
  }

  function schedule() { window.setTimeout(poll, interval); }

  if (root.getAttribute("data-open") === "true") { schedule(); }
})();
