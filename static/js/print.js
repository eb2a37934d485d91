/* Buttons marked data-print print the page: the Content Security Policy runs no inline onclick handler. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
