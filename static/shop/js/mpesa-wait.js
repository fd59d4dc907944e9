// The waiting page follows the payment without reloads: it polls the status URL and
// updates the message, the progress bar, the receipt and the "Send again" form in place.
// Without JavaScript the page still works: a reload shows the same state.
(function () {
  "use strict";
  var root = document.getElementById("mpesa-wait");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-status-url");
  var interval = parseInt(root.getAttribute("data-poll-ms"), 10) || 3000;
  var headlines = {
    waiting: "Check your phone and enter your M-Pesa PIN",
    starting: "Check your phone and enter your M-Pesa PIN",
    unconfirmed: "Did a prompt reach your phone?",
    paid: "Payment received",
    review: "We are checking your payment",
    part_paid: "Part of the payment received",
    cancelled: "Order cancelled",
    failed: "The payment did not go through"
  };
  var finalStates = { paid: true, cancelled: true, review: true };

  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.hidden = !visible; }
  }

  function render(status) {
    root.setAttribute("data-state", status.state);
    document.getElementById("mpesa-headline").textContent = headlines[status.state] || "";
    document.getElementById("mpesa-message").textContent = status.message;
    show("mpesa-progress", status.state === "waiting" || status.state === "starting");
    show("mpesa-resend", !!status.can_resend);
    if (status.receipt) {
      root.querySelector("[data-receipt]").textContent = status.receipt;
      show("mpesa-receipt", true);
    }
    root.querySelector("[data-part-paid]").textContent = status.part_payment || "";
    show("mpesa-part-paid", !!status.part_payment);
    var balance = root.querySelector("[data-balance]");
    if (balance && status.balance_display) { balance.textContent = status.balance_display; }
    if (finalStates[status.state]) { show("mpesa-paybill", false); }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return schedule(); }
        render(status);
        if (status.redirect_url) { window.location.assign(status.redirect_url); return; }
        if (!finalStates[status.state]) { schedule(); }
      })
      .catch(schedule);
  }

  function schedule() { window.setTimeout(poll, interval); }

  if (!finalStates[root.getAttribute("data-state")]) { schedule(); }
})();
