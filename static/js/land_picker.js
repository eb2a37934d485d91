/* The land form's site picker (templates/clearance/projects/_land_fields.html): the sites found by a search replace
   the list (htmx), and the site checked must survive that.
   - The search form's hidden site (#land-search-site) follows the radio checked, so each search sends it and the
     server lists it first, checked.
   - A site ticked while a search was on its way is not checked in that search's answer: the answer is dropped and
     the search sent again with the site now checked, rather than shown without the tick. */
(function () {
  "use strict";

  function chosenInput() {
    return document.getElementById("land-search-site");
  }

  document.addEventListener("change", function (event) {
    var chosen = chosenInput();
    if (chosen && event.target.matches("#land-sites input[name='site']")) {
      chosen.value = event.target.value;
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var chosen = chosenInput();
    var request = event.detail.requestConfig;
    if (!chosen || !event.detail.target || event.detail.target.id !== "land-sites" || !request || !request.formData) {
      return;
    }
    // Compared with what this search sent (not with its answer, which leaves out a site no longer offered): the
    // search sent again carries the site checked now, so this cannot repeat.
    if ((request.formData.get("site") || "") !== chosen.value) {
      event.detail.shouldSwap = false;
      htmx.trigger("#land-search", "submit");
    }
  });
})();
