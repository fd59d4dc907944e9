// The basket without page reloads; every form still works without this file.
// - "Add to basket" forms (product cards, product page) are sent in the background
//   through Oscar's own add view, which redirects to a small JSON status of the basket:
//   the count in the bar changes and a toast says what happened.
// - On the basket page, − / + and Remove send the basket form in the background; Oscar
//   answers with the re-rendered lines and totals, swapped in place.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }

  var basketLink = document.querySelector("[data-basket-status-url]");
  var statusUrl = basketLink ? basketLink.getAttribute("data-basket-status-url") : null;
  var toasts = document.getElementById("shop-toasts");

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function setCount(count) {
    document.querySelectorAll("[data-basket-count]").forEach(function (badge) {
      if (badge.textContent.trim() === String(count)) { return; }
      badge.textContent = String(count);
      badge.classList.remove("shop-bump");
      void badge.offsetWidth; // restart the animation
      badge.classList.add("shop-bump");
    });
  }

  function toast(html, level) {
    if (!toasts) { return; }
    var note = document.createElement("div");
    note.className = "shop-toast shop-toast-" + (level || "info");
    note.innerHTML = html;
    toasts.appendChild(note);
    window.setTimeout(function () { note.remove(); }, 5000);
  }

  function setBusy(element, busy) {
    if (!element) { return; }
    element.classList.toggle("shop-basket-busy", busy);
    element.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // --- Add to basket -------------------------------------------------------------------

  function addToBasket(form, submitter) {
    var body = new FormData(form);
    body.append("next", statusUrl);
    var button = submitter || form.querySelector("[type=submit]");
    // Oscar's ui.js turns a button with data-loading-text into "Adding..." and disables it
    // right after the click; it expects a new page to follow. The button is given back
    // its label when the basket has answered.
    var label = button ? button.innerHTML : "";
    if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // Oscar redirects to "next" after adding and to the referrer after refusing:
      // both lead to the JSON status, so no page is rendered in vain.
      referrer: statusUrl,
      headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) { throw new Error("status"); }
        return response.json();
      })
      .then(function (status) {
        setCount(status.num_items);
        status.messages.forEach(function (message) { toast(message.html, message.level); });
        if (!status.messages.length) { toast("Basket updated", "success"); }
      })
      .catch(function () {
        toast("Sorry, the basket could not be updated. Please try again.", "error");
      })
      .then(function () {
        if (!button) { return; }
        button.innerHTML = label;
        button.classList.remove("disabled");
        button.removeAttribute("disabled");
        button.removeAttribute("aria-busy");
        button.disabled = false;
      });
  }

  if (statusUrl) {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches("form[data-shop-add], form#add_to_basket_form")) { return; }
      event.preventDefault();
      addToBasket(form, event.submitter);
    });
  }

  // --- The basket page -------------------------------------------------------------------

  var content = document.getElementById("content_inner");

  function revealSteppers() {
    document.querySelectorAll("[data-shop-step]").forEach(function (button) { button.hidden = false; });
  }

  function lineOf(element) { return element.closest("[data-line-id]"); }

  function focusAfterUpdate(lineId, role) {
    var line = lineId && content.querySelector('[data-line-id="' + lineId + '"]');
    var target = line && line.querySelector(role ? '[data-shop-step="' + role + '"]' : "input");
    if (!target) { target = content.querySelector("#basket_formset input:not([type=hidden]), a.btn"); }
    if (target) { target.focus(); }
  }

  function sendBasket(form, extra, lineId, role) {
    var body = new FormData(form);
    if (extra && extra.name) { body.append(extra.name, extra.value); }
    setBusy(form, true);
    return fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfToken(form),
        "X-Requested-With": "XMLHttpRequest",
        "Accept": "application/json"
      }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("basket"); }
        return response.json();
      })
      .then(function (data) {
        content.innerHTML = data.content_html;
        revealSteppers();
        var count = content.querySelector("[data-basket-count-value]");
        if (count) { setCount(count.getAttribute("data-basket-count-value")); }
        Object.keys(data.messages || {}).forEach(function (level) {
          data.messages[level].forEach(function (html) { toast(html, level); });
        });
        focusAfterUpdate(lineId, role);
      })
      .catch(function () {
        setBusy(form, false);
        toast("Sorry, the basket could not be updated. Please try again.", "error");
      });
  }

  if (content) {
    revealSteppers();

    content.addEventListener("click", function (event) {
      var step = event.target.closest("[data-shop-step]");
      if (!step) { return; }
      var line = lineOf(step);
      var input = line.querySelector("input[name$='-quantity']");
      var quantity = Math.max(0, (parseInt(input.value, 10) || 0) + parseInt(step.getAttribute("data-shop-step"), 10));
      input.value = String(quantity);
      sendBasket(input.form, null, line.getAttribute("data-line-id"), quantity ? step.getAttribute("data-shop-step") : null);
    });

    content.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.id !== "basket_formset") { return; }
      event.preventDefault();
      var submitter = event.submitter;
      var line = submitter && lineOf(submitter);
      sendBasket(form, submitter, line && !submitter.hasAttribute("data-shop-remove") ? line.getAttribute("data-line-id") : null);
    });
  }
})();
