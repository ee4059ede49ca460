/* Sans Couture: keyboard use of the commune suggestions (htmx fills #suggestions with links or buttons).
   ↓ from the field goes to the first suggestion, ↑/↓ move between them, Échap returns to the field.
   Entrée in the field submits the form as usual; without JavaScript the form works the same way.
   Buttons (questionnaire of a moment de vie) fill the field with the chosen commune instead of leaving the page. */
(function () {
  "use strict";
  // A suggestions box (.sc-suggestions-box) serves the field whose aria-controls names it (#commune by default;
  // the questionnaire of a move has a second one for the commune left).
  function boxOf(input) {
    var id = input && input.getAttribute && input.getAttribute("aria-controls");
    var box = id ? document.getElementById(id) : null;
    return box && box.classList.contains("sc-suggestions-box") ? box : null;
  }
  function fieldOf(box) { return document.querySelector('[aria-controls="' + box.id + '"]'); }
  function items(box) { return Array.prototype.slice.call(box.querySelectorAll("a, button")); }
  document.addEventListener("keydown", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var box = boxOf(target);
    if (box) {
      var first = items(box);
      if (event.key === "ArrowDown" && first.length) { event.preventDefault(); first[0].focus(); }
      else if (event.key === "Escape") { box.innerHTML = ""; }
      return;
    }
    box = target.closest(".sc-suggestions-box");
    if (!box) { return; }
    var links = items(box), i = links.indexOf(target), input = fieldOf(box);
    if (i < 0 || !input) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); links[Math.min(i + 1, links.length - 1)].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (i === 0 ? input : links[i - 1]).focus(); }
    else if (event.key === "Escape") { event.preventDefault(); box.innerHTML = ""; input.focus(); }
  });
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var choice = target && target.closest(".sc-suggestions-box button[data-commune]");
    if (choice) {
      var box = choice.closest(".sc-suggestions-box"), input = fieldOf(box);
      if (input) { input.value = choice.getAttribute("data-commune"); input.focus(); }
      box.innerHTML = "";
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
  // A printed journey shows the online services folded on screen.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (el) { el.open = true; });
  });
})();
