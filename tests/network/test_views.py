"""The network page on a large territory: what it draws and lists (the CSV exports give everything)."""


def test_the_page_shows_the_most_active_bodies_and_every_isolated_one():
    from sanscouture.network.selectors import Graph
    from sanscouture.network.views import GRAPH_NODES, TABLE_ROWS, _graph_data, _shown

    nodes = [{"id": i, "nom": f"S{i}", "type": "mairie", "activite": i, "isolee": i == 0} for i in range(400)]
    links = [{"source": i, "cible": i + 1, "interactions": 1} for i in range(399)]
    shown = _shown(Graph(nodes, links))
    ids = {n["id"] for n in shown.nodes}
    assert len(ids) == TABLE_ROWS + 1 and 0 in ids and 399 in ids and 50 not in ids
    assert all(link["source"] in ids and link["cible"] in ids for link in shown.links)
    drawn = _graph_data(shown)
    assert len(drawn["noeuds"]) == GRAPH_NODES
