"""The measures networkx lacks, against a graph small enough to check by hand (the figures in the comments)."""

from sanscouture.network import metrics

# Groups A (a1, a2, a3), B (b1, b2), C (c1). Ties, all of weight 1:
#   a1 → a2, a2 → a3, a2 → b1, b1 → b2, b1 → a1, b1 → c1, b2 → c1
GROUP = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C"}
TIES = {
    (a, b): 1
    for a, b in [("a1", "a2"), ("a2", "a3"), ("a2", "b1"), ("b1", "b2"), ("b1", "a1"), ("b1", "c1"), ("b2", "c1")]
}


def test_brokerage_roles_match_the_hand_computed_example():
    roles = {node: b.as_dict() for node, b in metrics.brokerage_roles(TIES, GROUP).items()}
    zero = dict.fromkeys(metrics.ROLES, 0)
    # a1: b1 → a1 → a2 (B, A, A), no b1 → a2: gatekeeper.
    assert roles["a1"] == {**zero, "gardien": 1, "total": 1}
    # a2: a1 → a2 → a3 (A, A, A): coordinator; a1 → a2 → b1 (A, A, B): representative.
    assert roles["a2"] == {**zero, "coordinateur": 1, "representant": 1, "total": 2}
    # b1: a2 → b1 → b2 (A, B, B) gatekeeper; a2 → b1 → a1 (A, B, A) consultant; a2 → b1 → c1 (A, B, C) liaison.
    assert roles["b1"] == {**zero, "gardien": 1, "consultant": 1, "liaison": 1, "total": 3}
    # b2: b1 → b2 → c1 is closed by the direct tie b1 → c1: no brokerage. a3 and c1 send nothing.
    for node in ("b2", "a3", "c1"):
        assert roles[node] == {**zero, "total": 0}


def test_a_reciprocated_tie_closes_no_path_and_the_broker_keeps_its_pairs():
    ties = {("x", "y"): 1, ("y", "z"): 1, ("x", "z"): 2}
    roles = metrics.brokerage_roles(ties, {"x": "M", "y": "M", "z": "M"})
    assert roles["y"].total == 0  # x → z exists
    del ties[("x", "z")]
    roles = metrics.brokerage_roles(ties, {"x": "M", "y": "M", "z": "M"})
    assert roles["y"].coordinateur == 1 and metrics.brokerage_ends(ties, "y") == {"x", "z"}


def test_ei_index_of_each_group():
    ei = metrics.ei_index(TIES, GROUP)
    # A: internal a1→a2, a2→a3 (2); external a2→b1, b1→a1 (2): (2−2)/4 = 0.
    # B: internal b1→b2 (1); external a2→b1, b1→a1, b1→c1, b2→c1 (4): (4−1)/5 = 0.6. C: only external: 1.
    assert ei == {"A": 0.0, "B": 0.6, "C": 1.0}
    assert metrics.ei_index({("a1", "a2"): 3}, {"a1": "A", "a2": "A", "b": "B"}) == {"A": -1.0, "B": None}


def test_reciprocity_betweenness_and_constraint_of_an_isolated_node():
    ties = {("a", "b"): 1, ("b", "a"): 1, ("b", "c"): 1}
    nodes = ["a", "b", "c", "lonely"]
    # b: in {a}, out {a, c}: 2 of its 3 directed ties are reciprocated.
    assert metrics.reciprocity(metrics.indexed(ties, nodes, undirected=False)) == [1.0, round(2 / 3, 3), 0.0, None]
    graph = metrics.indexed(ties, nodes, undirected=True)
    assert graph.weights.tolist() == [2, 1] and graph.degree().tolist() == [1, 2, 1, 0]  # a–b counted both ways
    a, b, _, lonely = metrics.betweenness(graph)
    assert b > 0 and a == lonely == 0
    a, b, _, lonely = metrics.constraint(graph)
    assert lonely is None and a == 1.0 and b < 1


def test_reciprocity_equals_networkx_on_a_random_directed_graph():
    import random

    import networkx as nx

    rng = random.Random(2)
    nodes = list(range(30))
    ties = {(a, b): 1 for a in nodes for b in nodes if a != b and rng.random() < 0.1}
    graph = nx.DiGraph(list(ties))
    graph.add_nodes_from(nodes)
    theirs = nx.reciprocity(graph, [n for n in nodes if graph.degree(n)])
    ours = metrics.reciprocity(metrics.indexed(ties, nodes, undirected=False))
    assert {n: ours[n] for n in theirs} == {n: round(v, 3) for n, v in theirs.items()}
    assert any(0 < v < 1 for v in theirs.values())


def _role(ga: str, gb: str, gc: str) -> str:
    """Gould & Fernandez's role of b in a → b → c, from the groups (the definitions, case by case)."""
    if ga == gb == gc:
        return "coordinateur"
    if ga == gc:
        return "consultant"  # a and c together, b outside
    if gb == gc:
        return "gardien"  # a outside, b lets it in
    if ga == gb:
        return "representant"  # b speaks for a's group to c
    return "liaison"


def test_brokerage_by_group_counts_equals_enumerating_every_two_path():
    """The counting shortcut against the plain definition, on a random directed graph with three groups."""
    import random

    rng = random.Random(3)
    nodes = [f"n{i}" for i in range(30)]
    group = {n: rng.choice("ABC") for n in nodes}
    ties = {(a, b): 1 for a in nodes for b in nodes if a != b and rng.random() < 0.15}
    expected = {n: dict.fromkeys(metrics.ROLES, 0) for n in nodes}
    ends: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in ties:
        for c in nodes:
            if (b, c) in ties and c != a and (a, c) not in ties:
                expected[b][_role(group[a], group[b], group[c])] += 1
                ends[b] |= {a, c}
    got = metrics.brokerage_roles(ties, group)
    assert {n: {r: getattr(got[n], r) for r in metrics.ROLES} for n in nodes} == expected
    assert {n: metrics.brokerage_ends(ties, n) for n in nodes} == ends
    assert sum(b.total for b in got.values()) > 50


def test_constraint_equals_networkx_on_a_random_weighted_graph():
    import random

    import networkx as nx

    rng = random.Random(5)
    ties: dict[tuple, int] = {}
    for _ in range(70):
        a, b = rng.sample(range(25), 2)  # both directions of a pair add up, as in our undirected graph
        ties[(a, b)] = ties.get((a, b), 0) + rng.randint(1, 9)
    nodes = [*range(25), "seul"]
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for (a, b), w in ties.items():
        graph.add_edge(a, b, weight=graph[a][b]["weight"] + w if graph.has_edge(a, b) else w)
    ours = dict(zip(nodes, metrics.constraint(metrics.indexed(ties, nodes, undirected=True)), strict=True))
    theirs = nx.constraint(graph, [n for n in graph if graph.degree(n)], weight="weight")
    assert ours["seul"] is None
    assert all(abs(ours[n] - theirs[n]) < 1e-3 for n in theirs)


def test_betweenness_equals_networkx_exact_figure():
    import random

    import networkx as nx

    rng = random.Random(11)
    ties = {tuple(rng.sample(range(40), 2)): rng.randint(1, 5) for _ in range(90)}
    graph = nx.Graph(list(ties))
    graph.add_nodes_from(range(40))
    ours = metrics.betweenness(metrics.indexed(ties, list(range(40)), undirected=True))
    theirs = nx.betweenness_centrality(graph)
    assert all(abs(ours[n] - theirs[n]) < 1e-3 for n in graph)
    assert max(ours) > 0
