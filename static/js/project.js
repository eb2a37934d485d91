/* The project form: only the fields of the kind chosen are shown (a 招商项目's investor and commitments, a 复垦's
   deadline); the server empties the other kind's fields whatever is sent (clearance/reuse_forms.py). */
(function () {
  "use strict";

  function show(form) {
    var kind = form.querySelector("[data-project-kind]");
    if (!kind) {
      return;
    }
    form.querySelectorAll("[data-kind-only]").forEach(function (input) {
      var wrapper = input.closest(".mb-3") || input;
      wrapper.hidden = input.getAttribute("data-kind-only") !== kind.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-project-form]").forEach(show);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("form[data-project-form] [data-project-kind]")) {
      show(event.target.form);
    }
  });
})();
