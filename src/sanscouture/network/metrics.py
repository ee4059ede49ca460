"""Network measures on plain data (no database): reciprocity, betweenness and Burt's constraint with networkx;
Gould–Fernandez brokerage roles and Krackhardt's E-I index written here (networkx has neither).

Inputs are directed, weighted ties `(a, b) → weight` between node ids and a `group` of each node (body type for the
network between bodies, direction for the services of one body). Every function says how it computes.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

Node = Hashable
Ties = Mapping[tuple[Node, Node], float]

ROLES = ("coordinateur", "gardien", "representant", "consultant", "liaison")
# Exact betweenness costs O(nodes × ties); above this many nodes it is estimated from sampled sources.
BETWEENNESS_SAMPLE = 300
BETWEENNESS_BUDGET = 3_000_000  # edge visits of the sampled breadth-first searches (≈ 1 s here)
BETWEENNESS_MIN_SAMPLE = 30


@dataclass
class Brokerage:
    """Counts of open two-paths a → b → c (no tie a → c) in which the node is the broker b, by role; `ends` are the
    nodes it links that way (the a and c of those paths)."""

    coordinateur: int = 0  # a, b, c in one group
    gardien: int = 0  # gatekeeper: a outside, b and c in one group (lets the outside in)
    representant: int = 0  # representative: a and b in one group, c outside (speaks for its group)
    consultant: int = 0  # a and c in one group, b outside (itinerant)
    liaison: int = 0  # three different groups
    ends: set[Node] = field(default_factory=set, repr=False)

    @property
    def total(self) -> int:
        return self.coordinateur + self.gardien + self.representant + self.consultant + self.liaison

    def as_dict(self) -> dict[str, int]:
        return {**{role: getattr(self, role) for role in ROLES}, "total": self.total}


def _role(ga: Hashable, gb: Hashable, gc: Hashable) -> str:
    if ga == gb == gc:
        return "coordinateur"
    if ga == gc:
        return "consultant"
    if gb == gc:
        return "gardien"
    if ga == gb:
        return "representant"
    return "liaison"


def brokerage_roles(ties: Ties, group: Mapping[Node, Hashable]) -> dict[Node, Brokerage]:
    """Gould & Fernandez (1989): for every broker b, every a with a → b and every c ≠ a with b → c and no a → c,
    count one two-path in the role given by the groups of a, b and c (the same as statnet's `brokerage`).

    The c of one (a, b) are counted by group: the groups of b's successors, minus those closed by a direct tie
    a → c (a set intersection), so the cost follows the closed paths, not all of them."""
    succ: dict[Node, set[Node]] = defaultdict(set)
    pred: dict[Node, set[Node]] = defaultdict(set)
    for (a, b), weight in ties.items():
        if a != b and weight > 0:
            succ[a].add(b)
            pred[b].add(a)
    out = {node: Brokerage() for node in group}
    empty: set[Node] = set()
    role_of: dict[tuple[Hashable, Hashable, Hashable], str] = {}
    for b in set(succ) & set(pred):
        roles = out.setdefault(b, Brokerage())
        gb, succ_b = group.get(b), succ[b]
        by_group = Counter(group.get(c) for c in succ_b)
        found: Counter[str] = Counter()
        unreached = set(succ_b)  # the c not yet at the end of an open path through b
        for a in pred[b]:
            ga = group.get(a)
            closed = succ_b & succ.get(a, empty)
            if a in succ_b:
                closed.add(a)
            if len(closed) == len(succ_b):
                continue
            shut = Counter(group.get(c) for c in closed) if closed else None
            for gc, n in by_group.items():
                if shut:
                    n -= shut[gc]
                if n > 0:
                    key = (ga, gb, gc)
                    role = role_of.get(key)
                    if role is None:
                        role = role_of[key] = _role(ga, gb, gc)
                    found[role] += n
            roles.ends.add(a)
            if unreached:
                unreached &= closed
        for role, n in found.items():
            setattr(roles, role, getattr(roles, role) + n)
        if found:
            roles.ends |= succ_b - unreached
    return out


def ei_index(ties: Ties, group: Mapping[Node, Hashable]) -> dict[Hashable, float | None]:
    """Krackhardt & Stern's E-I index of each group: (E − I) / (E + I), E the interactions of its members with other
    groups, I those among its members (weighted by number of interactions). −1 is a closed silo, +1 all outward."""
    external: dict[Hashable, float] = defaultdict(float)
    internal: dict[Hashable, float] = defaultdict(float)
    for (a, b), weight in ties.items():
        ga, gb = group.get(a), group.get(b)
        if a == b:
            continue
        if ga == gb:
            internal[ga] += weight
        else:
            external[ga] += weight
            external[gb] += weight
    out: dict[Hashable, float | None] = {}
    for g in set(group.values()):
        e, i = external[g], internal[g]
        out[g] = round((e - i) / (e + i), 3) if e + i else None
    return out


def undirected(ties: Ties, nodes: list[Node]) -> nx.Graph:
    """The undirected graph of ties, weight = interactions both ways."""
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for (a, b), weight in ties.items():
        if a == b:
            continue
        if graph.has_edge(a, b):
            graph[a][b]["weight"] += weight
        else:
            graph.add_edge(a, b, weight=weight)
    return graph


def directed(ties: Ties, nodes: list[Node]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in ties.items() if a != b)
    return graph


def reciprocity(graph: nx.DiGraph) -> dict[Node, float | None]:
    """networkx's reciprocity of each node: share of its directed ties (in and out) that go both ways; none for a
    node without directed tie."""
    active = [n for n in graph if graph.degree(n)]
    values = nx.reciprocity(graph, active) if active else {}
    return {n: (round(values[n], 3) if n in values else None) for n in graph}


def betweenness(graph: nx.Graph) -> dict[Node, float]:
    """Normalised betweenness centrality on the undirected, unweighted graph, networkx's definition and scaling
    (Brandes' algorithm): exact up to BETWEENNESS_SAMPLE nodes; above, estimated from sampled sources (seed 0),
    as many as keep the work near BETWEENNESS_BUDGET edge visits, at least BETWEENNESS_MIN_SAMPLE.

    Written here on integer-indexed adjacency lists: networkx's takes 25 ms per source on a graph of 1,000 bodies
    and 16,000 ties, so 45 s for a département of 5,000 (benchmarks/bench_network.py). Tested equal to networkx's
    exact figure (tests/network/test_metrics.py)."""
    order = list(graph)
    n = len(order)
    index = {node: i for i, node in enumerate(order)}
    adjacency = [[index[v] for v in graph[u] if v != u] for u in order]
    edges = sum(len(a) for a in adjacency) or 1
    if n <= BETWEENNESS_SAMPLE:
        sources = list(range(n))
    else:
        k = max(BETWEENNESS_MIN_SAMPLE, min(n, BETWEENNESS_BUDGET // edges))
        sources = random.Random(0).sample(range(n), k)
    score = [0.0] * n
    for s in sources:
        # Brandes: BFS counting shortest paths, then dependencies accumulated in reverse order.
        sigma = [0] * n
        dist = [-1] * n
        preds: list[list[int]] = [[] for _ in range(n)]
        sigma[s], dist[s] = 1, 0
        stack, queue, head = [], [s], 0
        while head < len(queue):
            v = queue[head]
            head += 1
            stack.append(v)
            dv, sv = dist[v] + 1, sigma[v]
            for w in adjacency[v]:
                if dist[w] < 0:
                    dist[w] = dv
                    queue.append(w)
                if dist[w] == dv:
                    sigma[w] += sv
                    preds[w].append(v)
        delta = [0.0] * n
        while stack:
            w = stack.pop()
            coefficient = (1 + delta[w]) / sigma[w]
            for v in preds[w]:
                delta[v] += sigma[v] * coefficient
            if w != s:
                score[w] += delta[w]
    scale = 1 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    scale *= n / len(sources) if sources else 0
    return {order[i]: round(score[i] * scale, 4) for i in range(n)}


def constraint(graph: nx.Graph) -> dict[Node, float | None]:
    """Burt's constraint as networkx defines it (`nx.constraint`, weighted by interactions): near 1, all of a body's
    ties lead to the same few, connected partners; low, the body spans structural holes. None for an isolated body.

    Same formula, computed here over the neighbours of neighbours with numpy (per node, its two-step paths as
    arrays): networkx's own takes 37 s for 200 bodies of 15 partners each on this machine (it recomputes every
    normalised weight inside every sum), a plain Python pass 6 s for 5,000 bodies. Tested equal to networkx's on
    random graphs (tests/network/test_metrics.py)."""
    order = list(graph)
    n = len(order)
    index = {node: i for i, node in enumerate(order)}
    # The graph as CSR arrays: row u holds u's neighbours and p_uv, the share of u's interactions going to v.
    indptr = np.zeros(n + 1, dtype=np.int64)
    columns: list[int] = []
    weights: list[float] = []
    for i, u in enumerate(order):
        for v, d in graph[u].items():
            if v != u:
                columns.append(index[v])
                weights.append(float(d.get("weight", 1)))
        indptr[i + 1] = len(columns)
    indices = np.asarray(columns, dtype=np.int64)
    share = np.asarray(weights, dtype=np.float64)
    degree = np.diff(indptr)
    totals = np.bincount(np.repeat(np.arange(n), degree), weights=share, minlength=n)
    totals = np.where(degree > 0, totals, 1.0)
    share /= np.repeat(totals, degree)
    out: dict[Node, float | None] = {}
    mark = np.zeros(n, dtype=bool)
    for u in range(n):
        lo, hi = indptr[u], indptr[u + 1]
        if lo == hi:
            out[order[u]] = None
            continue
        neighbours, p_u = indices[lo:hi], share[lo:hi]
        # Every two-step path u → w → v: the rows of u's neighbours, concatenated.
        starts, lengths = indptr[neighbours], degree[neighbours]
        total = int(lengths.sum())
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        ends = indices[offsets]
        paths = np.repeat(p_u, lengths) * share[offsets]
        mark[neighbours] = True
        keep = mark[ends]
        mark[neighbours] = False
        indirect = np.bincount(ends[keep], weights=paths[keep], minlength=n)[neighbours]
        out[order[u]] = round(float(((p_u + indirect) ** 2).sum()), 4)
    return out
