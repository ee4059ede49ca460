// The graph view of the network pages: cytoscape draws the nodes and ties read from the page's JSON
// (#donnees-reseau). Everything drawn is also in the tables of the page (the accessible equivalent).
(function () {
  "use strict";
  var container = document.getElementById("graphe-reseau");
  var source = document.getElementById("donnees-reseau");
  if (!container || !source || typeof window.cytoscape !== "function") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var maxActivity = 1;
  var maxTies = 1;
  data.noeuds.forEach(function (n) { maxActivity = Math.max(maxActivity, n.activite); });
  data.liens.forEach(function (l) { maxTies = Math.max(maxTies, l.interactions); });
  var elements = [];
  data.noeuds.forEach(function (n) {
    elements.push({
      data: {
        id: n.id,
        label: n.nom,
        size: 18 + 42 * Math.sqrt(n.activite / maxActivity),
        colour: n.couleur,
        border: n.isolee ? "#ce0500" : n.couleur
      }
    });
  });
  data.liens.forEach(function (l, i) {
    elements.push({
      data: { id: "l" + i, source: l.source, target: l.cible, width: 1 + 9 * (l.interactions / maxTies) }
    });
  });
  window.cytoscape({
    container: container,
    elements: elements,
    userZoomingEnabled: false,
    boxSelectionEnabled: false,
    autoungrabify: true,
    style: [
      {
        selector: "node",
        style: {
          "background-color": "data(colour)",
          "border-color": "data(border)",
          "border-width": 3,
          width: "data(size)",
          height: "data(size)",
          label: "data(label)",
          "font-size": 11,
          color: "#161616",
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-wrap": "wrap",
          "text-max-width": 120
        }
      },
      { selector: "edge", style: { width: "data(width)", "line-color": "#929292", "curve-style": "bezier" } }
    ],
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 90, padding: 20 }
  });
}());
