r"""Communication networks of decentralized optimization: graphs, mixing matrices, FastMix.

:math:`m` agents sit on the nodes :math:`0, \dots, m-1` of a connected undirected graph
:math:`\mathcal G`.  A *mixing matrix* :math:`W \in \mathbb R^{m\times m}` is

* symmetric, :math:`W = W^\top`, and doubly stochastic, :math:`W\mathbf 1 = \mathbf 1`;
* supported on the graph: :math:`W_{ij} = 0` unless :math:`i = j` or :math:`(i, j) \in \mathcal E`;
* primitive on a connected graph: :math:`\operatorname{null}(I - W) = \operatorname{span}(\mathbf 1)`.

Its mixing rate is the second largest eigenvalue *modulus* (SLEM)

.. math::

    \lambda_2(W) = \max\{|\lambda_2|, |\lambda_m|\} = \|W - \tfrac1m \mathbf 1\mathbf 1^\top\|_2 ,

so one gossip round :math:`U \mapsto WU` contracts the consensus error
:math:`\|U - \bar U\|_F` by at most :math:`\lambda_2` (exactly, along the slowest
eigenvector), and the spectral gap is :math:`\gamma = 1 - \lambda_2`.  For
:math:`0 \preceq W \preceq I` (e.g. the lazy matrix) the SLEM is the second largest
eigenvalue, the quantity of the papers [1]_ [2]_.

Graphs: :func:`ring`, :func:`torus` / :func:`grid`, :func:`erdos_renyi` (resampled until
connected), :func:`exponential`, :func:`star`, :func:`complete` (networkx).  Mixing
matrices: :func:`metropolis_hastings`, :func:`laplacian_mixing`, :func:`lazy`,
:func:`fastest_mixing` (the symmetric FMMC problem of Boyd, Diaconis and Xiao [3]_, solved
with cvxpy).  :class:`Mixing` stores :math:`W` sparse (scipy CSR, or a torch sparse CSR
tensor) and applies it to a stack of agent vectors whose leading axis is the agent axis.
:func:`fastmix` is Chebyshev-accelerated multi-consensus [2]_ [4]_.

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. "Decentralized Convex Finite-Sum Optimization with Better
   Dependence on Condition Numbers." ICML 2024.
.. [2] H. Ye, L. Luo, Z. Zhou, T. Zhang. "Multi-consensus Decentralized Accelerated
   Gradient Descent." JMLR 24, 2023 (FastMix, Lemma on its contraction).
.. [3] S. Boyd, P. Diaconis, L. Xiao. "Fastest Mixing Markov Chain on a Graph." SIAM
   Review 46(4), 2004.
.. [4] J. Liu, A. S. Morse. "Accelerated linear iterations for distributed averaging."
   Annual Reviews in Control 35(2), 2011.
"""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING

import numpy as np

from .errors import UserError
from .validation import as_integral, check_call, check_int, check_positive

if TYPE_CHECKING:  # networkx and scipy.sparse are imported where used: `theory-lab list` stays fast
    import networkx as nx

__all__ = [
    "GRAPHS",
    "MIXINGS",
    "Mixing",
    "check_graph",
    "check_mixing",
    "complete",
    "erdos_renyi",
    "exponential",
    "fastest_mixing",
    "fastmix",
    "fastmix_eta",
    "fastmix_operator",
    "grid",
    "laplacian_mixing",
    "lazy",
    "make_graph",
    "make_mixing",
    "metropolis_hastings",
    "ring",
    "second_eigenvalue",
    "spectral_gap",
    "star",
    "torus",
]


# -- graphs ------------------------------------------------------------------------------
def check_graph(G: nx.Graph) -> nx.Graph:
    """``G`` must be an undirected, connected graph on nodes ``0..m-1`` (m >= 1).

    Raises
    ------
    ValueError
        Naming the problem: directed, empty, wrong node labels, self-loops, or disconnected
        (with the number of components and the size of each).
    """
    import networkx as nx

    if not isinstance(G, nx.Graph) or G.is_directed():
        raise ValueError(f"graph must be an undirected networkx.Graph, got {type(G).__name__}")
    m = G.number_of_nodes()
    if m < 1:
        raise ValueError("graph has no nodes: need m >= 1 agents")
    if sorted(G.nodes) != list(range(m)):
        raise ValueError(f"graph nodes must be 0..{m - 1}, got {sorted(G.nodes)[:8]}...")
    loops = list(nx.selfloop_edges(G))
    if loops:
        raise ValueError(f"graph has self-loops {loops[:4]}; the diagonal of W is implicit")
    if not nx.is_connected(G):
        comps = sorted((len(c) for c in nx.connected_components(G)), reverse=True)
        raise ValueError(
            f"graph is disconnected: {len(comps)} components of sizes {comps[:8]}; "
            "decentralized methods need a connected network"
        )
    return G


def ring(m: int) -> nx.Graph:
    """Cycle :math:`0 - 1 - \\dots - (m-1) - 0` (a path for m = 2, one node for m = 1)."""
    import networkx as nx

    m = check_int("m", m)
    return nx.cycle_graph(m) if m >= 3 else nx.path_graph(m)


def torus(rows: int, cols: int | None = None) -> nx.Graph:
    """2-D torus (periodic grid) of ``rows x cols`` nodes, numbered row by row."""
    import networkx as nx

    rows = check_int("rows", rows)
    cols = rows if cols is None else check_int("cols", cols)
    G = nx.grid_2d_graph(rows, cols, periodic=rows >= 3 and cols >= 3)
    return nx.convert_node_labels_to_integers(G, ordering="sorted")


def grid(rows: int, cols: int | None = None) -> nx.Graph:
    """2-D grid (non-periodic) of ``rows x cols`` nodes."""
    import networkx as nx

    rows = check_int("rows", rows)
    cols = rows if cols is None else check_int("cols", cols)
    return nx.convert_node_labels_to_integers(nx.grid_2d_graph(rows, cols), ordering="sorted")


def erdos_renyi(m: int, p: float, seed: int = 0, max_tries: int = 1000) -> nx.Graph:
    """Connected Erdos-Renyi :math:`G(m, p)`: resampled (seeds ``seed, seed+1, ...``) until connected."""
    import networkx as nx

    m = check_int("m", m)
    p = check_positive("p", p)
    if p > 1:
        raise ValueError(f"p must lie in (0, 1], got {p}")
    for k in range(max_tries):
        G = nx.gnp_random_graph(m, p, seed=seed + k)
        if nx.is_connected(G):
            return G
    raise ValueError(f"no connected G(m={m}, p={p}) in {max_tries} draws; increase p (> log(m)/m)")


def exponential(m: int) -> nx.Graph:
    """Exponential graph: :math:`i \\sim i \\pm 2^k \\bmod m` for :math:`2^k < m`."""
    import networkx as nx

    m = check_int("m", m)
    G = nx.empty_graph(m)
    k = 1
    while k < m:
        G.add_edges_from((i, (i + k) % m) for i in range(m) if (i + k) % m != i)
        k *= 2
    return G


def star(m: int) -> nx.Graph:
    """Star with hub 0 and ``m - 1`` leaves."""
    import networkx as nx

    return nx.star_graph(check_int("m", m) - 1)


def complete(m: int) -> nx.Graph:
    """Complete graph :math:`K_m`."""
    import networkx as nx

    return nx.complete_graph(check_int("m", m))


GRAPHS = {
    "ring": ring, "torus": torus, "grid": grid, "erdos_renyi": erdos_renyi,
    "exponential": exponential, "star": star, "complete": complete,
}


def make_graph(name: str, m: int, **kw) -> nx.Graph:
    """Graph by name; ``torus``/``grid`` take ``m = rows * cols`` with ``rows`` (default: square)."""
    if not isinstance(name, str) or name not in GRAPHS:
        raise UserError(f"unknown graph {name!r}; available: {', '.join(GRAPHS)}")
    m = check_int("m", m)
    takes = ["rows"] if name in ("torus", "grid") else \
        [k for k in inspect.signature(GRAPHS[name]).parameters if k != "m"]
    unknown = [k for k in kw if k not in takes]
    if unknown:
        raise UserError(
            f"unknown network key(s) {', '.join(map(repr, unknown))} for graph {name!r}; "
            f"network keys: graph, mixing{''.join(', ' + k for k in takes)}"
        )
    if name not in ("torus", "grid"):
        kw = check_call(GRAPHS[name], {"m": m, **kw}, what=f"graph {name!r}")
        kw.pop("m")
    if name in ("torus", "grid"):
        rows = check_int("rows", as_integral(kw.pop("rows", int(round(math.sqrt(m))))))
        if rows < 1 or m % rows:
            raise ValueError(f"{name}: m = {m} is not rows x cols with rows = {rows}")
        G = GRAPHS[name](rows, m // rows)
    else:
        G = GRAPHS[name](m, **kw)
    return check_graph(G)


# -- mixing matrices ---------------------------------------------------------------------
def _degrees(G) -> np.ndarray:
    return np.array([G.degree(i) for i in range(G.number_of_nodes())], dtype=float)


def metropolis_hastings(G: nx.Graph) -> np.ndarray:
    r"""Metropolis-Hastings weights :math:`W_{ij} = 1/(1 + \max(d_i, d_j))` on edges, rest on the diagonal."""
    G = check_graph(G)
    m = G.number_of_nodes()
    deg = _degrees(G)
    W = np.zeros((m, m))
    for i, j in G.edges:
        W[i, j] = W[j, i] = 1.0 / (1.0 + max(deg[i], deg[j]))
    W[np.diag_indices(m)] = 1.0 - W.sum(axis=1)
    return W


def laplacian_mixing(G: nx.Graph, alpha: float | None = None) -> np.ndarray:
    r"""Laplacian-based :math:`W = I - \alpha\,\mathcal L` with default :math:`\alpha = 1/(d_{\max} + 1)`."""
    import networkx as nx

    G = check_graph(G)
    m = G.number_of_nodes()
    Lap = nx.laplacian_matrix(G, nodelist=range(m)).toarray().astype(float)
    if alpha is None:
        alpha = 1.0 / (_degrees(G).max() + 1.0)
    alpha = check_positive("alpha", alpha)
    return np.eye(m) - alpha * Lap


def lazy(W) -> np.ndarray:
    r"""Lazy matrix :math:`(I + W)/2`: eigenvalues in :math:`[0, 1]`, so :math:`0 \preceq W \preceq I`."""
    W = np.asarray(W, dtype=float)
    return 0.5 * (np.eye(W.shape[0]) + W)


def fastest_mixing(G: nx.Graph, nonnegative: bool = True, solver: str | None = None) -> np.ndarray:
    r"""Fastest-mixing symmetric matrix on ``G`` (Boyd, Diaconis, Xiao 2004) via cvxpy.

    .. math::

        \min_W \|W - \tfrac1m\mathbf 1\mathbf 1^\top\|_2 \quad\text{s.t.}\quad
        W = W^\top,\ W\mathbf 1 = \mathbf 1,\ W_{ij} = 0\ ((i,j)\notin\mathcal E, i\ne j),
        \ W \ge 0 \text{ (if nonnegative)} .

    Parametrized by one weight per edge (the diagonal is :math:`1 - ` the row sum), so the
    support and the symmetry hold by construction; the SDP is solved by SCS/CLARABEL.
    """
    import cvxpy as cp

    G = check_graph(G)
    m = G.number_of_nodes()
    if m == 1:
        return np.ones((1, 1))
    edges = list(G.edges)
    w = cp.Variable(len(edges))
    inc = np.zeros((m, len(edges)))  # incidence: L(w) = B diag(w) B^T
    for k, (i, j) in enumerate(edges):
        inc[i, k], inc[j, k] = 1.0, -1.0
    Wexpr = np.eye(m) - inc @ cp.diag(w) @ inc.T
    J = np.ones((m, m)) / m
    cons = [w >= 0] if nonnegative else []
    if nonnegative:
        cons.append(np.abs(inc) @ w <= 1)  # W_ii = 1 - sum of the row's edge weights >= 0
    prob = cp.Problem(cp.Minimize(cp.norm(Wexpr - J, 2)), cons)
    prob.solve(solver=solver or ("CLARABEL" if "CLARABEL" in cp.installed_solvers() else "SCS"))
    if w.value is None:
        raise RuntimeError(f"cvxpy could not solve the fastest-mixing problem: status {prob.status}")
    wv = np.asarray(w.value, dtype=float)
    if nonnegative:
        wv = np.clip(wv, 0.0, None)
    W = np.eye(m) - inc @ np.diag(wv) @ inc.T
    return 0.5 * (W + W.T)


MIXINGS = {
    "metropolis": metropolis_hastings,
    "laplacian": laplacian_mixing,
    "lazy_metropolis": lambda G: lazy(metropolis_hastings(G)),
    "fastest": fastest_mixing,
    "lazy_fastest": lambda G: lazy(fastest_mixing(G)),
}


def make_mixing(name: str, G: nx.Graph) -> np.ndarray:
    """Mixing matrix by name (``metropolis``, ``laplacian``, ``lazy_metropolis``, ``fastest``, ``lazy_fastest``)."""
    if not isinstance(name, str) or name not in MIXINGS:
        raise UserError(f"unknown mixing {name!r}; available: {', '.join(MIXINGS)}")
    return check_mixing(MIXINGS[name](G), G)


def check_mixing(W, G: nx.Graph | None = None, tol: float = 1e-9, nonnegative: bool = True) -> np.ndarray:
    r"""Validate a mixing matrix; return it as a float ndarray.

    Checks: square, finite, symmetric, rows summing to one (doubly stochastic with
    symmetry), entries :math:`\ge 0` (``nonnegative``), support inside the graph's edges
    (if ``G`` is given, which must be connected), and
    :math:`\lambda_2(W) < 1` (consensus is reachable: a connected support and no
    eigenvalue at -1).

    Raises
    ------
    ValueError
        Naming the offending entry or value.
    """
    import networkx as nx
    import scipy.sparse as sp

    if sp.issparse(W):
        W = W.toarray()
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 1:
        raise ValueError(f"W must be a square (m, m) matrix, got shape {W.shape}")
    m = W.shape[0]
    if not np.all(np.isfinite(W)):
        raise ValueError("W has non-finite entries")
    asym = np.abs(W - W.T)
    if asym.max() > tol:
        i, j = np.unravel_index(np.argmax(asym), W.shape)
        raise ValueError(f"W is not symmetric: W[{i},{j}] = {W[i, j]!r} != W[{j},{i}] = {W[j, i]!r}")
    rows = W.sum(axis=1)
    bad = np.abs(rows - 1) > tol
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"W is not stochastic: row {i} sums to {rows[i]!r}, not 1")
    if nonnegative and W.min() < -tol:
        i, j = np.unravel_index(np.argmin(W), W.shape)
        raise ValueError(f"W has a negative entry W[{i},{j}] = {W[i, j]!r}")
    if G is not None:
        G = check_graph(G)
        if G.number_of_nodes() != m:
            raise ValueError(f"W is {m}x{m} but the graph has {G.number_of_nodes()} nodes")
        allowed = nx.to_numpy_array(G, nodelist=range(m)) > 0
        allowed[np.diag_indices(m)] = True
        off = (np.abs(W) > tol) & ~allowed
        if off.any():
            i, j = np.argwhere(off)[0]
            raise ValueError(
                f"W is not supported on the graph: W[{i},{j}] = {W[i, j]!r} but ({i},{j}) is not an edge"
            )
    if m > 1:
        lam = second_eigenvalue(W)
        if lam >= 1 - 1e-12:
            raise ValueError(
                f"W does not mix: lambda_2 = {lam!r} >= 1 (disconnected support or an eigenvalue at -1)"
            )
    return W


def second_eigenvalue(W) -> float:
    r"""SLEM :math:`\lambda_2(W) = \|W - \tfrac1m\mathbf 1\mathbf 1^\top\|_2` (0 for one agent)."""
    import scipy.sparse as sp

    if sp.issparse(W):
        W = W.toarray()
    W = np.asarray(W, dtype=float)
    m = W.shape[0]
    if m == 1:
        return 0.0
    ev = np.linalg.eigvalsh(0.5 * (W + W.T) - np.ones((m, m)) / m)
    return float(np.max(np.abs(ev)))


def spectral_gap(W) -> float:
    r"""Spectral gap :math:`\gamma = 1 - \lambda_2(W)` (SLEM convention, see the module docstring)."""
    return 1.0 - second_eigenvalue(W)


# -- sparse application ------------------------------------------------------------------
class Mixing:
    r"""A validated mixing matrix stored sparse, applied along the leading (agent) axis.

    Parameters
    ----------
    W : array (m, m) or scipy sparse
        Mixing matrix (validated with :func:`check_mixing` against ``graph`` if given).
    graph : networkx.Graph, optional
    mode : {"sparse", "dense"}
        Storage used by :meth:`apply`: CSR (cost :math:`O(|\mathcal E| + m)` per column)
        or a dense matrix (:math:`O(m^2)`), kept for the bench.

    Attributes
    ----------
    m, lambda2, gap : int, float, float
    edges : (rows, cols, vals)
        The nonzeros as an edge list (the diagonal included), e.g. for the multi-process
        runner's neighbour lists.
    """

    def __init__(self, W, graph: nx.Graph | None = None, mode: str = "sparse", check: bool = True):
        import scipy.sparse as sp

        if mode not in ("sparse", "dense"):
            raise ValueError(f"mode must be 'sparse' or 'dense', got {mode!r}")
        Wd = check_mixing(W, graph) if check else np.asarray(W.toarray() if sp.issparse(W) else W, float)
        self.m = Wd.shape[0]
        self.mode = mode
        self.dense = Wd
        self.csr = sp.csr_matrix(Wd)
        self.csr.eliminate_zeros()
        coo = self.csr.tocoo()
        self.edges = (coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.copy())
        self.lambda2 = second_eigenvalue(Wd) if check else float("nan")
        self.gap = 1.0 - self.lambda2
        self._torch = {}

    @property
    def nnz(self) -> int:
        return int(self.csr.nnz)

    def neighbors(self, i: int) -> list[int]:
        """Agents ``j != i`` with ``W[i, j] != 0``."""
        lo, hi = self.csr.indptr[i], self.csr.indptr[i + 1]
        return [int(j) for j in self.csr.indices[lo:hi] if j != i]

    def _torch_matrix(self, like):
        import torch

        key = (str(like.device), like.dtype, self.mode)
        if key not in self._torch:
            if self.mode == "dense":
                mat = torch.as_tensor(self.dense, dtype=like.dtype, device=like.device)
            else:
                mat = torch.sparse_csr_tensor(
                    torch.as_tensor(self.csr.indptr, dtype=torch.int64, device=like.device),
                    torch.as_tensor(self.csr.indices, dtype=torch.int64, device=like.device),
                    torch.as_tensor(self.csr.data, dtype=like.dtype, device=like.device),
                    size=(self.m, self.m), device=like.device, check_invariants=False,
                )
            self._torch[key] = mat
        return self._torch[key]

    def apply(self, U):
        r""":math:`WU` for ``U`` of shape ``(m, ...)`` (numpy array or torch tensor)."""
        if U.shape[0] != self.m:
            raise ValueError(f"U has {U.shape[0]} rows along the agent axis, W is {self.m}x{self.m}")
        if isinstance(U, np.ndarray):
            flat = U.reshape(self.m, -1)
            out = (self.dense @ flat) if self.mode == "dense" else (self.csr @ flat)
            return np.asarray(out).reshape(U.shape)
        mat = self._torch_matrix(U)
        flat = U.reshape(self.m, -1)
        return (mat @ flat).reshape(U.shape)

    __matmul__ = apply


def fastmix_eta(lambda2: float) -> float:
    r"""Momentum of FastMix, :math:`\eta_U = (1 - \sqrt{1-\lambda_2^2})/(1 + \sqrt{1-\lambda_2^2})`."""
    lam = float(lambda2)
    if not 0.0 <= lam < 1.0:
        raise ValueError(f"lambda2 must lie in [0, 1), got {lambda2!r}")
    s = math.sqrt(1.0 - lam * lam)
    return (1.0 - s) / (1.0 + s)


def fastmix_operator(mixing: Mixing, rounds: int, lambda2: float | None = None) -> np.ndarray:
    r"""The dense :math:`m\times m` matrix :math:`P_R(W)` with :math:`\mathrm{FastMix}(U) = P_R(W)\,U`.

    FastMix is linear in :math:`U`, so :math:`R` rounds equal one product with this
    polynomial in :math:`W` (computed once by running the recursion on the identity).
    Used by the simulation to apply many rounds at the cost of one dense product
    (``mode="operator"`` of :func:`fastmix`); the rounds are still *counted* as
    :math:`R` communication rounds.  Agrees with the round-by-round recursion to
    rounding (tested).
    """
    key = ("op", int(rounds), None if lambda2 is None else float(lambda2))
    cache = mixing._torch  # per-instance cache dict
    if key not in cache:
        cache[key] = fastmix(np.eye(mixing.m), mixing, rounds, lambda2)
    return cache[key]


def fastmix(U, mixing: Mixing, rounds: int, lambda2: float | None = None, mode: str = "rounds"):
    r"""FastMix: ``rounds`` Chebyshev-accelerated gossip rounds (``rounds`` multiplications by W).

    .. math::

        U^{r+1} = (1 + \eta_U) W U^r - \eta_U U^{r-1}, \qquad U^{-1} = U^0,

    with :math:`\eta_U` from :func:`fastmix_eta`.  The agent mean is preserved exactly
    (:math:`W` is doubly stochastic) and the consensus error contracts as
    :math:`\|U^R - \bar U\| \le \sqrt{14}\,(1 - (1 - 1/\sqrt2)\sqrt{1-\lambda_2})^R
    \|U^0 - \bar U\|` ([V], Ye et al. 2023; see
    :func:`theory_lab.theory.decentralized_bounds.fastmix_bound`).

    Parameters
    ----------
    U : array (m, ...)
    mixing : Mixing
    rounds : int
        Number of communication rounds :math:`R \ge 0` (0 returns ``U``).
    lambda2 : float, optional
        Defaults to ``mixing.lambda2``.
    mode : {"rounds", "operator"}
        ``"rounds"``: :math:`R` sparse products (what agents do); ``"operator"``: one
        product with :func:`fastmix_operator` (same result to rounding; faster to simulate
        for small :math:`m`).
    """
    rounds = check_int("rounds", rounds, minimum=0)
    if mode == "operator":
        P = fastmix_operator(mixing, rounds, lambda2)
        if isinstance(U, np.ndarray):
            return (P @ U.reshape(mixing.m, -1)).reshape(U.shape)
        import torch

        Pt = torch.as_tensor(P, dtype=U.dtype, device=U.device)
        return (Pt @ U.reshape(mixing.m, -1)).reshape(U.shape)
    if mode != "rounds":
        raise ValueError(f"mode must be 'rounds' or 'operator', got {mode!r}")
    eta = fastmix_eta(mixing.lambda2 if lambda2 is None else lambda2)
    prev, cur = U, U
    for _ in range(rounds):
        prev, cur = cur, (1.0 + eta) * mixing.apply(cur) - eta * prev
    return cur
