// The waiting page follows the payment without reloads: it polls the status URL and
// updates the headline and message (a live region, so screen readers hear the change),
// their alert style, the tab title, the open prompt's countdown, the receipt and which
// actions (send again, cancel) the shop would take now.
// Without JavaScript the page still works: a reload shows the same state.
(function () {
  "use strict";
  var root = document.getElementById("mpesa-wait");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-status-url");
  var interval = parseInt(root.getAttribute("data-poll-ms"), 10) || 3000;
  var finalStates = { paid: true, cancelled: true, review: true };
  var unpaidStates = { starting: true, waiting: true, unconfirmed: true, failed: true, part_paid: true };
  var tones = ["info", "success", "danger", "warning"];
  var stateBox = document.getElementById("mpesa-state");
  var countdown = document.getElementById("mpesa-countdown");
  var secondsLeft = countdown && countdown.querySelector("[data-seconds-left]");
  var bar = countdown && countdown.querySelector("[data-countdown-bar]");
  var promptTotal = bar ? parseInt(bar.getAttribute("data-total"), 10) || 90 : 90;
  var deadline = null;
  var ticker = null;
  var pollTimer = null;

  // The tab title is "<state> | Order N | shop": only its first part follows the state.
  var initialTitle = root.getAttribute("data-title") || "";
  var titleRest = document.title.indexOf(initialTitle) === 0
    ? document.title.slice(initialTitle.length) : " | " + document.title;

  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.hidden = !visible; }
  }

  function enable(id, enabled) {
    var el = document.getElementById(id);
    if (el) { el.disabled = !enabled; }
  }

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    secondsLeft.textContent = String(left);
    bar.style.width = Math.min(100, (left / promptTotal) * 100) + "%";
    if (left === 0) {
      stopCountdown();
      poll();  // the prompt's time is up: ask now what the shop allows next
    }
  }

  function stopCountdown() {
    if (ticker) { window.clearInterval(ticker); ticker = null; }
    deadline = null;
    if (countdown) { countdown.hidden = true; }
  }

  function startCountdown(seconds) {
    if (!countdown || !seconds) { stopCountdown(); return; }
    deadline = Date.now() + seconds * 1000;
    countdown.hidden = false;
    if (!ticker) { ticker = window.setInterval(tick, 1000); }
    tick();
  }

  function render(status) {
    root.setAttribute("data-state", status.state);
    tones.forEach(function (tone) { stateBox.classList.remove("alert-" + tone); });
    stateBox.classList.add("alert-" + (status.tone || "info"));
    var headline = document.getElementById("mpesa-headline");
    var message = document.getElementById("mpesa-message");
    // Rewritten only when they change, so the live region speaks once per state.
    if (headline.textContent !== status.headline) { headline.textContent = status.headline; }
    if (message.textContent !== status.message) { message.textContent = status.message; }
    if (status.title) { document.title = status.title + titleRest; }
    if (status.state === "waiting" && status.prompt_seconds_left > 0) {
      startCountdown(status.prompt_seconds_left);
    } else {
      stopCountdown();
    }
    if (status.receipt) {
      root.querySelector("[data-receipt]").textContent = status.receipt;
      show("mpesa-receipt", true);
    }
    root.querySelector("[data-part-paid]").textContent = status.part_payment || "";
    show("mpesa-part-paid", !!status.part_payment);
    var balance = root.querySelector("[data-balance]");
    if (balance && status.balance_display) { balance.textContent = status.balance_display; }
    var actions = root.querySelector("[data-while-unpaid]");
    if (actions) { actions.hidden = !unpaidStates[status.state]; }
    enable("resend-prompt", !!status.can_resend);
    show("resend-wait", !status.can_resend);
    enable("cancel-order", !!status.can_cancel);
    show("cancel-wait", !status.can_cancel && !status.money_received);
    show("cancel-paid", !!status.money_received);
  }

  function poll() {
    if (pollTimer) { window.clearTimeout(pollTimer); pollTimer = null; }
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

  function schedule() {
    if (!pollTimer) { pollTimer = window.setTimeout(function () { pollTimer = null; poll(); }, interval); }
  }

  var initialSeconds = secondsLeft ? parseInt(secondsLeft.textContent, 10) : 0;
  if (root.getAttribute("data-state") === "waiting" && initialSeconds > 0) {
    startCountdown(initialSeconds);
  }
  if (!finalStates[root.getAttribute("data-state")]) { schedule(); }
})();
