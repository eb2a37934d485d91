/* The stage form of a site page: choosing an enterprise (or the site itself) preselects the stage it most
   likely reaches next, which the server put on each option as data-next-stage (clearance/forms.py). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var subject = event.target;
    if (!subject.matches("form[data-record-form] select[name='subject']")) {
      return;
    }
    var option = subject.options[subject.selectedIndex];
    var stage = subject.form.querySelector("select[name='stage']");
    if (option && stage && option.hasAttribute("data-next-stage")) {
      stage.value = option.getAttribute("data-next-stage");
    }
  });
})();
