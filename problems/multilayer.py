r"""A small multi-layer model: deep linear network regression on Gaussian inputs.

Layers :math:`W_l \in \mathbb R^{d_l \times d_{l-1}}` (torch's ``(out, in)``), the network
:math:`x \mapsto P x` with :math:`P = W_L W_{L-1}\cdots W_1`, a realizable teacher
:math:`A = W^\star_L\cdots W^\star_1` with the same widths, inputs
:math:`x \sim N(0, \Sigma_x)` and labels :math:`y = A x + \xi`,
:math:`\xi \sim N(0, s^2 I)`.  The objective is the population excess risk

.. math::
    f(W_1, \dots, W_L) = \tfrac12 \mathbb E\|P x - A x\|^2
    = \tfrac12 \operatorname{tr}\big((P - A)\Sigma_x (P - A)^\top\big),
    \qquad f^\star = 0,

(realizable: the teacher attains 0).  With :math:`R = P - A`,
:math:`A_l = W_L\cdots W_{l+1}`, :math:`B_l = W_{l-1}\cdots W_1`,

.. math::
    \nabla_{W_l} f = A_l^\top\, R\,\Sigma_x\, B_l^\top ,

and the mini-batch gradient replaces :math:`R\Sigma_x` by
:math:`\frac1M\sum_i (R x_i - \xi_i) x_i^\top` over :math:`M` fresh samples (unbiased).

The parameter is the concatenation of the row-major flattened layers, :math:`W_1` first
and the output layer :math:`W_L` last; ``layer_shapes`` (attribute) gives
``[(d_1, d_0), ..., (d_L, d_{L-1})]``, the layout that
:func:`theory_lab.optimizers.scale.scale` and ``layerwise`` take as ``shapes``.  The
problem is non-convex (a deep linear net has saddles, e.g. at :math:`W = 0`); no global
smoothness constant exists, so ``constants()`` reports ``L_x`` :math:`= \|\Sigma_x\|`,
``f0`` and the shapes rather than ``L``.

References
----------
.. [1] P. Baldi, K. Hornik. "Neural networks and principal component analysis: learning
   from examples without local minima." Neural Networks 2(1), 1989.
.. [2] S. Arora, N. Cohen, E. Hazan. "On the optimization of deep networks: implicit
   acceleration by overparameterization." ICML 2018.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from theory_lab.backends import get_backend, namespace
from theory_lab.validation import check_int, check_positive

from . import register

__all__ = ["DeepLinearRegression", "deep_linear_regression"]


class DeepLinearRegression:
    r"""Deep linear network :math:`x\mapsto W_L\cdots W_1 x` fitted to a realizable teacher (population risk).

    Parameters
    ----------
    layers0 : list of arrays
        Initial weights :math:`W_l` of shapes ``(d_l, d_{l-1})``.
    A : array (d_L, d_0)
        Teacher map.
    Sx : array (d_0, d_0), symmetric PSD
        Input covariance.
    noise_std : float >= 0
        Label noise :math:`s`.
    """

    name = "deep_linear_regression"

    def __init__(self, layers0, A, Sx, noise_std: float = 0.0, backend=None):
        layers0 = [np.asarray(W, dtype=float) for W in layers0]
        if not layers0:
            raise ValueError("deep_linear_regression needs at least one layer")
        for i, W in enumerate(layers0):
            if W.ndim != 2:
                raise ValueError(f"layer {i} must be a matrix, got shape {W.shape}")
            if i and W.shape[1] != layers0[i - 1].shape[0]:
                raise ValueError(f"layer {i} has shape {W.shape}: its input size must equal the "
                                 f"output size {layers0[i - 1].shape[0]} of layer {i - 1}")
        A, Sx = np.asarray(A, float), np.asarray(Sx, float)
        if A.shape != (layers0[-1].shape[0], layers0[0].shape[1]):
            raise ValueError(f"teacher A must have shape {(layers0[-1].shape[0], layers0[0].shape[1])}, "
                             f"got {A.shape}")
        if Sx.shape != (A.shape[1], A.shape[1]):
            raise ValueError(f"Sx must have shape {(A.shape[1], A.shape[1])}, got {Sx.shape}")
        self.noise_std = check_positive("noise_std", noise_std, allow_zero=True)
        self.layer_shapes = [tuple(int(s) for s in W.shape) for W in layers0]
        self.widths = [layers0[0].shape[1]] + [W.shape[0] for W in layers0]
        self.dim = sum(m * n for m, n in self.layer_shapes)
        self.f_star = 0.0
        lam, Q = np.linalg.eigh(0.5 * (Sx + Sx.T))
        self._lam = np.clip(lam, 0, None)
        self._host = {"A": A, "Sx": Sx, "Sx_root": (Q * np.sqrt(self._lam)) @ Q.T,
                      "w0": np.concatenate([W.reshape(-1) for W in layers0])}
        self.backend = get_backend(backend)
        self._place()

    def _place(self):
        for k, v in self._host.items():
            setattr(self, k, self.backend.asarray(v))

    def to_backend(self, backend):
        new = copy.copy(self)
        new.backend = get_backend(backend)
        new._place()
        return new

    # -- layout -----------------------------------------------------------------------
    def layers(self, w) -> list:
        """The layers of a batch of flat parameters ``w`` (S, d): list of (S, m_l, n_l)."""
        xp = namespace(w)
        out, k = [], 0
        for m, n in self.layer_shapes:
            out.append(xp.reshape(w[:, k:k + m * n], (w.shape[0], m, n)))
            k += m * n
        return out

    @staticmethod
    def _product(Ws):
        P = Ws[0]
        for W in Ws[1:]:
            P = W @ P
        return P

    def residual(self, w):
        r""":math:`R = W_L\cdots W_1 - A`, shape (S, d_L, d_0)."""
        return self._product(self.layers(w)) - self.A

    def value(self, w):
        xp = namespace(w)
        R = self.residual(w)
        return 0.5 * xp.sum(xp.reshape(R * (R @ self.Sx), (R.shape[0], -1)), axis=-1)

    def _backprop(self, Ws, GP):
        r"""Layer gradients :math:`A_l^\top G_P B_l^\top` for :math:`G_P = \partial f/\partial P`."""
        xp = namespace(GP)
        S = GP.shape[0]
        L = len(Ws)
        # prefix products B_l = W_{l-1} ... W_1 (B_1 = I), suffix A_l = W_L ... W_{l+1}
        grads = [None] * L
        B = [None] * L
        for i in range(1, L):
            B[i] = Ws[i - 1] if i == 1 else Ws[i - 1] @ B[i - 1]
        upstream = GP                                   # A_l^T G_P, built from the top
        for i in range(L - 1, -1, -1):
            grads[i] = upstream if i == 0 else upstream @ xp.matrix_transpose(B[i])
            if i > 0:
                upstream = xp.matrix_transpose(Ws[i]) @ upstream
        return xp.concat([xp.reshape(g, (S, -1)) for g in grads], axis=-1)

    def gradient(self, w):
        Ws = self.layers(w)
        R = self._product(Ws) - self.A
        return self._backprop(Ws, R @ self.Sx)

    def stochastic_gradient(self, w, batch_size, streams):
        xp = namespace(w)
        Ws = self.layers(w)
        R = self._product(Ws) - self.A                                   # (S, dL, d0)
        X = streams.normal((batch_size, self.widths[0])) @ self.Sx_root  # (S, M, d0)
        E = X @ xp.matrix_transpose(R)                                   # (S, M, dL) = (R x_i)^T
        if self.noise_std > 0:
            E = E - self.noise_std * streams.normal((batch_size, self.widths[-1]))
        GP = (xp.matrix_transpose(E) @ X) / batch_size                  # (S, dL, d0)
        return self._backprop(Ws, GP)

    def constants(self) -> dict:
        w0 = self._host["w0"][None, :]
        R = self._product([np.asarray(W) for W in self.layers(w0)]) - self._host["A"]
        f0 = float(0.5 * np.sum(R * (R @ self._host["Sx"])))
        lam = self._lam
        out = {
            "d": self.dim, "n_layers": len(self.layer_shapes), "d_in": self.widths[0],
            "d_out": self.widths[-1], "width": max(self.widths[1:-1], default=self.widths[-1]),
            "m_last": self.layer_shapes[-1][0], "n_last": self.layer_shapes[-1][1],
            "d_last": self.layer_shapes[-1][0] * self.layer_shapes[-1][1],
            "L_x": float(lam.max()), "mu_x": float(lam.min()),
            "kappa_x": float(lam.max() / lam.min()) if lam.min() > 0 else math.inf,
            "teacher_op": float(np.linalg.norm(self._host["A"], 2)),
            "f0": f0, "f_star": 0.0, "noise": "sampling", "sigma": self.noise_std,
        }
        for i, (m, n) in enumerate(self.layer_shapes):
            out[f"m{i}"], out[f"n{i}"] = m, n
        return out


@register("deep_linear_regression")
def deep_linear_regression(d_in: int = 16, width: int = 16, d_out: int = 8, n_layers: int = 3,
                           kappa_x: float = 10.0, init_scale: float = 1.0, noise_std: float = 0.0,
                           seed: int = 0) -> DeepLinearRegression:
    r"""Realizable deep linear network regression (f* = 0), layers flattened W_1 first, output layer last.

    Parameters
    ----------
    d_in, width, d_out : int
        Widths :math:`d_0 = ` ``d_in``, :math:`d_1 = \dots = d_{L-1} = ` ``width``,
        :math:`d_L = ` ``d_out``.
    n_layers : int >= 1
        :math:`L`.
    kappa_x : float >= 1
        Condition number of :math:`\Sigma_x` (log-spaced spectrum in :math:`[1/\kappa, 1]`,
        Haar eigenvectors).
    init_scale : float > 0
        Student init :math:`W_l = ` ``init_scale`` :math:`\cdot Z/\sqrt{d_{l-1}}`,
        :math:`Z_{ij}\sim N(0,1)`; the teacher uses scale 1 and its own draw.
    noise_std : float >= 0
        Label noise.
    seed : int
        Problem seed (teacher, init, :math:`\Sigma_x`); run seeds drive the samples.
    """
    d_in, width, d_out = check_int("d_in", d_in), check_int("width", width), check_int("d_out", d_out)
    n_layers = check_int("n_layers", n_layers)
    kappa_x = check_positive("kappa_x", kappa_x)
    if kappa_x < 1:
        raise ValueError(f"kappa_x must be >= 1, got {kappa_x!r}")
    init_scale = check_positive("init_scale", init_scale)
    from scipy.stats import ortho_group

    rng = np.random.default_rng([int(seed), 5151])
    widths = [d_in] + [width] * (n_layers - 1) + [d_out]
    teacher = [rng.normal(size=(widths[i + 1], widths[i])) / math.sqrt(widths[i])
               for i in range(n_layers)]
    student = [init_scale * rng.normal(size=(widths[i + 1], widths[i])) / math.sqrt(widths[i])
               for i in range(n_layers)]
    A = teacher[0]
    for W in teacher[1:]:
        A = W @ A
    lam = np.geomspace(1.0, 1.0 / kappa_x, d_in)
    Q = ortho_group.rvs(d_in, random_state=rng) if d_in > 1 else np.ones((1, 1))
    Sx = (Q * lam) @ Q.T
    return DeepLinearRegression(student, A, 0.5 * (Sx + Sx.T), noise_std=noise_std)
