// Checkout conveniences; the server checks everything again.
// - M-Pesa phone fields say as the customer types whether the number looks right.
// - Forms marked data-submit-once cannot be sent twice by a double click.
(function () {
  "use strict";
  var LOCAL = /^[71]\d{8}$/;

  function normalise(raw) {
    var compact = String(raw || "").trim().replace(/[\s\-()]/g, "");
    var local = compact;
    if (compact.indexOf("+254") === 0) { local = compact.slice(4); }
    else if (compact.indexOf("254") === 0 && compact.length === 12) { local = compact.slice(3); }
    else if (compact.indexOf("0") === 0 && compact.length === 10) { local = compact.slice(1); }
    return LOCAL.test(local) ? "254" + local : null;
  }

  function feedbackFor(input) {
    var id = input.id + "-feedback";
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.id = id;
      el.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", el);
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
    }
    return el;
  }

  function check(input, final) {
    var value = input.value;
    var el = feedbackFor(input);
    var ok = normalise(value);
    input.classList.toggle("is-valid", !!ok);
    input.classList.toggle("is-invalid", !ok && (final || value.replace(/\D/g, "").length >= 10));
    if (ok) {
      el.className = "valid-feedback d-block";
      // As Kenyans write it: 254712345678 -> 0712 345 678.
      var local = "0" + ok.slice(3);
      el.textContent = "M-Pesa will prompt " + local.slice(0, 4) + " " + local.slice(4, 7) + " " + local.slice(7);
    } else if (final || value.replace(/\D/g, "").length >= 10) {
      el.className = "invalid-feedback d-block";
      el.textContent = "Enter a Kenyan mobile number, e.g. 0712 345 678 or 0110 123 456.";
    } else {
      el.className = "form-text text-muted";
      el.textContent = "";
    }
    return !!ok;
  }

  document.querySelectorAll("input[data-mpesa-phone]").forEach(function (input) {
    input.addEventListener("input", function () { check(input, false); });
    input.addEventListener("blur", function () { if (input.value) { check(input, true); } });
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        if (!check(input, true)) { event.preventDefault(); input.focus(); }
      });
    }
  });

  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "true";
      // form.elements: the form's buttons, and those outside it that name it (form="…").
      Array.prototype.forEach.call(form.elements, function (button) {
        if (button.tagName !== "BUTTON" || button.type !== "submit") { return; }
        button.disabled = true;
        if (button.dataset.loadingText) { button.textContent = button.dataset.loadingText; }
      });
    });
  });
})();
