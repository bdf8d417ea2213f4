// E-form validation as you type: the browser checks the constraints the server renders from
// the procedure's JSON Schema (required, pattern, length, range, date); the server checks
// again on submit.  Messages go to each field's aria-live hint.
(function () {
  "use strict";
  var form = document.querySelector("form[data-eform]");
  if (!form) { return; }
  function hintOf(field) {
    var id = field.getAttribute("aria-describedby");
    return id ? document.getElementById(id) : null;
  }
  function check(field) {
    var hint = hintOf(field);
    if (!hint) { return; }
    if (!hint.dataset.help) { hint.dataset.help = hint.textContent; }
    if (field.checkValidity()) {
      field.removeAttribute("aria-invalid");
      hint.classList.remove("error");
      hint.textContent = hint.dataset.help;
    } else {
      field.setAttribute("aria-invalid", "true");
      hint.classList.add("error");
      hint.textContent = field.validationMessage;
    }
  }
  form.addEventListener("input", function (event) { check(event.target); });
  form.addEventListener("change", function (event) { check(event.target); });
  form.addEventListener("submit", function (event) {
    var first = null;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.willValidate) {
        check(field);
        if (!first && !field.checkValidity()) { first = field; }
      }
    });
    if (first) { event.preventDefault(); first.focus(); }
  });
})();
