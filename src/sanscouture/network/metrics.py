"""Network measures on plain data (no database). Reciprocity, betweenness and Burt's constraint as networkx defines
them, computed here on numpy arrays (networkx's own were 10 to 100 times slower at a département's size; the tests
check ours against networkx's); Gould–Fernandez brokerage roles and Krackhardt's E-I index written here (networkx
has neither).

Inputs are directed, weighted ties `(a, b) → weight` between node ids and a `group` of each node (body type for the
network between bodies, direction for the services of one body). Every function says how it computes.
"""

import random
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

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
    """Counts of open two-paths a → b → c (no tie a → c) in which the node is the broker b, by role."""

    coordinateur: int = 0  # a, b, c in one group
    gardien: int = 0  # gatekeeper: a outside, b and c in one group (lets the outside in)
    representant: int = 0  # representative: a and b in one group, c outside (speaks for its group)
    consultant: int = 0  # a and c in one group, b outside (itinerant)
    liaison: int = 0  # three different groups

    @property
    def total(self) -> int:
        return self.coordinateur + self.gardien + self.representant + self.consultant + self.liaison

    def as_dict(self) -> dict[str, int]:
        return {**{role: getattr(self, role) for role in ROLES}, "total": self.total}


def brokerage_roles(ties: Ties, group: Mapping[Node, Hashable]) -> dict[Node, Brokerage]:
    """Gould & Fernandez (1989): for every broker b, every a with a → b and every c ≠ a with b → c and no a → c,
    count one two-path in the role given by the groups of a, b and c (the same as statnet's `brokerage`).

    Counted by groups with numpy, per broker b of group gb: with P[g] its predecessors and S[g] its successors in
    group g, the two-paths are coordinator P[gb]·S[gb], consultant Σ_{g≠gb} P[g]·S[g], gatekeeper (ΣP − P[gb])·S[gb],
    representative P[gb]·(ΣS − S[gb]), liaison the rest of ΣP·ΣS; less each a = c of a reciprocated tie and each
    closed path (a → c exists) in its role — the only paths enumerated, one set intersection per tie a → b."""
    nodes = list(group)
    seen = set(nodes)
    for pair in ties:
        for node in pair:
            if node not in seen:
                seen.add(node)
                nodes.append(node)
    index = {node: i for i, node in enumerate(nodes)}
    code: dict[Hashable, int] = {}
    groups = [code.setdefault(group.get(node), len(code)) for node in nodes]
    n, ng = len(nodes), len(code)
    g = np.asarray(groups, dtype=np.int64)
    edges = [(index[a], index[b]) for (a, b), weight in ties.items() if a != b and weight > 0]
    succ: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        succ[a].add(b)
    # Two-paths excluded: a → b → a (reciprocated ties) and a → b → c with a → c, as (b, group of a, group of c).
    excluded = [(b, groups[a], groups[a]) for a, b in edges if a in succ[b]]
    for a, b in edges:
        common = succ[a] & succ[b]
        if common:
            excluded.extend((b, groups[a], groups[c]) for c in common)
    heads = np.asarray([a for a, _ in edges], dtype=np.int64)
    tails = np.asarray([b for _, b in edges], dtype=np.int64)
    before = np.zeros((n, ng), dtype=np.int64)  # P: predecessors of each node by group
    after = np.zeros((n, ng), dtype=np.int64)  # S: successors of each node by group
    np.add.at(before, (tails, g[heads]), 1)
    np.add.at(after, (heads, g[tails]), 1)
    rows = np.arange(n)
    p_own, s_own = before[rows, g], after[rows, g]
    p_all, s_all = before.sum(axis=1), after.sum(axis=1)
    same_group = (before * after).sum(axis=1)
    counts = np.zeros((n, len(ROLES)), dtype=np.int64)
    counts[:, 0] = p_own * s_own
    counts[:, 3] = same_group - p_own * s_own
    counts[:, 1] = (p_all - p_own) * s_own
    counts[:, 2] = p_own * (s_all - s_own)
    counts[:, 4] = p_all * s_all - counts[:, :4].sum(axis=1)
    if excluded:
        b, ga, gc = np.asarray(excluded, dtype=np.int64).T
        gb = g[b]
        role = np.select(
            [(ga == gb) & (gc == gb), ga == gc, gb == gc, ga == gb],
            [ROLES.index(r) for r in ("coordinateur", "consultant", "gardien", "representant")],
            default=ROLES.index("liaison"),
        )
        np.subtract.at(counts, (b, role), 1)
    return {node: Brokerage(*(int(v) for v in counts[i])) for i, node in enumerate(nodes)}


def brokerage_ends(ties: Ties, broker: Node) -> set[Node]:
    """The nodes `broker` links by an open two-path (the a and c of the paths `brokerage_roles` counts)."""
    succ_b = {b for (a, b), w in ties.items() if a == broker and b != broker and w > 0}
    pred_b = {a for (a, b), w in ties.items() if b == broker and a != broker and w > 0}
    succ_a: dict[Node, set[Node]] = defaultdict(set)
    for (a, b), w in ties.items():
        if a in pred_b and w > 0:
            succ_a[a].add(b)
    ends: set[Node] = set()
    for a in pred_b:
        reached = succ_b - succ_a[a] - {a}
        if reached:
            ends.add(a)
            ends |= reached
    return ends


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


@dataclass(frozen=True)
class TieArrays:
    """A graph on nodes 0..n-1 as its distinct ties heads[i] → tails[i] (no self loop) and their weights; for an
    undirected graph, each pair once with heads < tails."""

    n: int
    heads: np.ndarray
    tails: np.ndarray
    weights: np.ndarray

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both directions of every tie as CSR rows: (indptr, neighbours, weights)."""
        rows = np.concatenate([self.heads, self.tails])
        columns = np.concatenate([self.tails, self.heads])
        weights = np.concatenate([self.weights, self.weights])
        by_row = np.argsort(rows, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=self.n))])
        return indptr, columns[by_row], weights[by_row]

    def degree(self) -> np.ndarray:
        """Distinct neighbours of each node (undirected graph)."""
        return np.bincount(self.heads, minlength=self.n) + np.bincount(self.tails, minlength=self.n)


def tie_arrays(n: int, heads: np.ndarray, tails: np.ndarray, weights: np.ndarray, *, undirected: bool) -> TieArrays:
    """The distinct ties of nodes 0..n-1 from possibly repeated ones (weights summed), self loops left out."""
    keep = heads != tails
    heads, tails, weights = heads[keep], tails[keep], weights[keep]
    if undirected:
        heads, tails = np.minimum(heads, tails), np.maximum(heads, tails)
    keys, inverse = np.unique(heads * n + tails, return_inverse=True)
    return TieArrays(n, keys // n, keys % n, np.bincount(inverse, weights=weights, minlength=len(keys)))


def indexed(ties: Ties, nodes: list[Node], *, undirected: bool) -> TieArrays:
    """`tie_arrays` of ties between named nodes, indexed by their position in `nodes`."""
    index = {node: i for i, node in enumerate(nodes)}
    heads = np.asarray([index[a] for a, _ in ties], dtype=np.int64)
    tails = np.asarray([index[b] for _, b in ties], dtype=np.int64)
    weights = np.asarray(list(ties.values()), dtype=np.float64)
    return tie_arrays(len(nodes), heads, tails, weights, undirected=undirected)


def reciprocity(graph: TieArrays) -> list[float | None]:
    """networkx's reciprocity of each node of a directed graph (`nx.reciprocity`): 2 × |successors ∩ predecessors|
    ÷ (|successors| + |predecessors|), the share of its directed ties that go both ways; none for a node without
    directed tie. Tested equal to networkx's (tests/network/test_metrics.py)."""
    n = graph.n
    back = np.isin(graph.tails * n + graph.heads, graph.heads * n + graph.tails)
    ties = np.bincount(graph.heads, minlength=n) + np.bincount(graph.tails, minlength=n)
    both = np.bincount(graph.heads[back], minlength=n)
    return [round(2 * int(b) / int(t), 3) if t else None for b, t in zip(both, ties, strict=True)]


def betweenness(graph: TieArrays) -> list[float]:
    """Normalised betweenness centrality on the undirected, unweighted graph, networkx's definition and scaling
    (Brandes' algorithm): exact up to BETWEENNESS_SAMPLE nodes; above, estimated from sampled sources (seed 0),
    as many as keep the work near BETWEENNESS_BUDGET edge visits, at least BETWEENNESS_MIN_SAMPLE.

    Written here on integer-indexed adjacency lists: networkx's takes 25 ms per source on a graph of 1,000 bodies
    and 16,000 ties, so 45 s for a département of 5,000 (benchmarks/bench_network.py). Tested equal to networkx's
    exact figure (tests/network/test_metrics.py)."""
    indptr, neighbours, _ = graph.csr()
    flat, bounds = neighbours.tolist(), indptr.tolist()
    return _brandes([flat[bounds[u] : bounds[u + 1]] for u in range(graph.n)])


def _brandes(adjacency: list[list[int]]) -> list[float]:
    n = len(adjacency)
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
    return [round(value * scale, 4) for value in score]


def constraint(graph: TieArrays) -> list[float | None]:
    """Burt's constraint as networkx defines it (`nx.constraint`, weighted by interactions) on the undirected graph:
    near 1, all of a body's ties lead to the same few, connected partners; low, the body spans structural holes.
    None for an isolated body.

    Same formula, computed here over the neighbours of neighbours with numpy (per node, its two-step paths as
    arrays): networkx's own takes 37 s for 200 bodies of 15 partners each on this machine (it recomputes every
    normalised weight inside every sum), a plain Python pass 6 s for 5,000 bodies. Tested equal to networkx's on
    random graphs (tests/network/test_metrics.py)."""
    n = graph.n
    indptr, indices, weights = graph.csr()
    degree = np.diff(indptr)
    # p_uv, the share of u's interactions going to v.
    totals = np.bincount(np.repeat(np.arange(n), degree), weights=weights, minlength=n)
    totals = np.where(degree > 0, totals, 1.0)
    share = weights / np.repeat(totals, degree)
    out: list[float | None] = []
    mark = np.zeros(n, dtype=bool)
    for u in range(n):
        lo, hi = indptr[u], indptr[u + 1]
        if lo == hi:
            out.append(None)
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
        out.append(round(float(((p_u + indirect) ** 2).sum()), 4))
    return out
