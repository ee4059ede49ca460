/* Sans Couture: keyboard use of the commune suggestions (htmx fills #suggestions with links).
   ↓ from the field goes to the first suggestion, ↑/↓ move between them, Échap returns to the field.
   Entrée in the field submits the form as usual; without JavaScript the form works the same way. */
(function () {
  "use strict";
  function parts() {
    var input = document.getElementById("commune");
    var box = document.getElementById("suggestions");
    return input && box ? { input: input, box: box, links: Array.prototype.slice.call(box.querySelectorAll("a")) } : null;
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
})();
