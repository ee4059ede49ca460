/* Sans Couture, declaring an action: a commune chosen among the suggestions is added to the list of INSEE codes
   (captured before the shared handler of web/sanscouture.js, which fills the search field and empties the box). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var choice = target && target.closest("#suggestions-action button[data-code]");
    var list = document.getElementById("id_communes");
    if (!choice || !list) { return; }
    var code = choice.getAttribute("data-code");
    var codes = list.value.split(/[\s,;]+/).filter(Boolean);
    if (codes.indexOf(code) < 0) { codes.push(code); }
    list.value = codes.join(" ");
  }, true);
})();
