/* Sans Couture: keyboard use of the commune suggestions (htmx fills #suggestions with links or buttons).
   ↓ from the field goes to the first suggestion, ↑/↓ move between them, Échap returns to the field.
   Entrée in the field submits the form as usual; without JavaScript the form works the same way.
   Buttons (questionnaire of a moment de vie) fill the field with the chosen commune instead of leaving the page. */
(function () {
  "use strict";
  function parts() {
    var input = document.getElementById("commune");
    var box = document.getElementById("suggestions");
    return input && box ? { input: input, box: box, links: Array.prototype.slice.call(box.querySelectorAll("a, button")) } : null;
  }
  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p) { return; }
    var i = p.links.indexOf(event.target);
    if (event.target === p.input) {
      if (event.key === "ArrowDown" && p.links.length) { event.preventDefault(); p.links[0].focus(); }
      else if (event.key === "Escape") { p.box.innerHTML = ""; }
      return;
    }
    if (i < 0) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); p.links[Math.min(i + 1, p.links.length - 1)].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (i === 0 ? p.input : p.links[i - 1]).focus(); }
    else if (event.key === "Escape") { event.preventDefault(); p.box.innerHTML = ""; p.input.focus(); }
  });
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var choice = target && target.closest("#suggestions button[data-commune]");
    if (choice) {
      var p = parts();
      p.input.value = choice.getAttribute("data-commune");
      p.box.innerHTML = "";
      p.input.focus();
      return;
    }
    var print = target && target.closest("[data-sc-print]");
    if (print) { window.print(); return; }
    var copy = target && target.closest("[data-sc-copy]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-sc-copy"));
      if (!field) { return; }
      field.select();
      var done = function () { copy.textContent = "Adresse copiée"; };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(field.value).then(done, function () {}); }
      else if (document.execCommand && document.execCommand("copy")) { done(); }
    }
  });
  function reveal() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sc-print][hidden], [data-sc-copy][hidden]"), function (el) {
      el.hidden = false;
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", reveal); } else { reveal(); }
})();
