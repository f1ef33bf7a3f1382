r"""Heavy ball's finite-n worst case beside its asymptotic rate (``make fig-pep``).

Figure ``hb_worst_case`` (:math:`\kappa = 100`, :math:`\mu = 1`, :math:`L = 100`):

* left, heavy ball with Polyak's parameters :math:`\eta = 4/(\sqrt L+\sqrt\mu)^2`,
  :math:`\beta = ((\sqrt\kappa-1)/(\sqrt\kappa+1))^2`:

  - **tight worst case** :math:`\tau(n) f_0` over quadratics :math:`\mu I\preceq H\preceq LI`
    (PEPit SDP, :func:`theory_lab.theory.pep.worst_case`, ``initial="f"``), :math:`n = 1..N`;
  - **asymptotic rate** :math:`\rho^{2n} f_0`, :math:`\rho = (\sqrt\kappa-1)/(\sqrt\kappa+1)`;
  - **measured**: the lab's runner on the method's own worst case certified at
    :math:`n = 4` (problem ``pep_worst_case``), and on a random power-law quadratic
    (:math:`d = 50`) -- both below :math:`\tau(n) f_0`; the first touches it at :math:`n=4`.

* right, the same three for gradient descent with :math:`\eta = 1/L` over :math:`L`-smooth
  :math:`\mu`-strongly convex functions: there the rate :math:`(1-1/\kappa)^{2n}` *is* the
  tight worst case (de Klerk, Glineur, Taylor 2017), and the two curves coincide.

SDPs are cached in ``results/cache/pep`` (about 1 min on 2 cores from an empty cache,
seconds after), runs in ``results/cache/pep_runs``.

References
----------
.. [1] B. Goujaud et al. "PEPit." Math. Program. Comput. 2024.
.. [2] A. Taylor, J. Hendrickx, F. Glineur. Math. Program. 161, 2017.
.. [3] B. T. Polyak, 1964.
.. [4] E. de Klerk, F. Glineur, A. Taylor. Optim. Lett. 11, 2017.
"""

from __future__ import annotations

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.sweep import run_sweep

STORE = "results/cache/pep_runs"
MU, L = 1.0, 100.0
N = 25
N_CERT = 4
HB = {"name": "hb", "lr": "4/(sqrt(L)+sqrt(mu))**2", "beta": "((sqrt(kappa)-1)/(sqrt(kappa)+1))**2"}


def hb_curves(N: int = N) -> dict:
    """:math:`\\tau(n)`, :math:`\\rho^{2n}` and the 1-D exact check for Polyak's heavy ball."""
    from theory_lab.theory.heavy_ball import optimal_hb_params
    from theory_lab.theory.pep import quadratic_worst_case, worst_case_curve

    eta, beta, rho = optimal_hb_params(L, MU)
    p = {"eta": eta, "beta": beta}
    n = np.arange(1, N + 1)
    tau = worst_case_curve("hb", N, mu=MU, L=L, params=p)
    exact = np.array([quadratic_worst_case("hb", int(k), mu=MU, L=L, params=p)[0] for k in n])
    return {"n": n, "tau": tau, "exact_1d": exact, "rate": rho ** (2 * n)}


def gd_curves(N: int = 15) -> dict:
    """GD, :math:`\\eta = 1/L`, smooth strongly convex class: :math:`\\tau(n)` and :math:`(1-1/\\kappa)^{2n}`."""
    from theory_lab.theory.pep import worst_case_curve

    n = np.arange(1, N + 1)
    tau = worst_case_curve("gd", N, mu=MU, L=L, params={"eta": 1 / L},
                           function_class="smooth_strongly_convex")
    return {"n": n, "tau": tau, "rate": (1 - MU / L) ** (2 * n)}


def configs(T: int = N) -> list[RunConfig]:
    kw = dict(T=T, seeds=range(1), spacing="linear", n_checkpoints=T + 1)
    return [
        RunConfig(problem={"name": "pep_worst_case", "method": "hb", "n": N_CERT, "kappa": L / MU,
                           "L": L}, optimizer=HB, **kw),
        RunConfig(problem={"name": "quadratic", "d": 50, "kappa": L / MU, "L": L,
                           "spectrum": "power_law", "noise": "none"}, optimizer=HB, **kw),
        RunConfig(problem={"name": "quadratic", "d": 50, "kappa": L / MU, "L": L,
                           "spectrum": "power_law", "noise": "none"},
                  optimizer={"name": "gd", "lr": "1/L"}, **{**kw, "T": 15, "n_checkpoints": 16}),
    ]


def figure(store: str = STORE, n_jobs: int = 1) -> dict:
    from theory_lab.plotting import new_figure, save_figure

    hb, gd = hb_curves(), gd_curves()
    worst, rand, gd_run = run_sweep(configs(), store=store, n_jobs=n_jobs)
    fig, (a, b) = new_figure(ncols=2, panel_size=(4.6, 3.4))
    a.plot(hb["n"], hb["tau"], "o", ms=3.5, color="k", label=r"tight worst case $\tau(n)f_0$ (PEPit, quadratics)")
    a.plot(hb["n"], hb["rate"], "--", color="tab:gray", label=r"asymptotic rate $\rho^{2n}f_0$ (not a bound)")
    f0w = worst.suboptimality[0, 0]
    a.plot(worst.steps, worst.suboptimality[0] / f0w, "-", color="tab:red",
           label=f"measured: hb on its worst case at n={N_CERT}")
    f0r = rand.suboptimality[0, 0]
    a.plot(rand.steps, rand.suboptimality[0] / f0r, "-", color="tab:blue",
           label="measured: hb on a power-law quadratic")
    a.axhline(1.0, color="k", lw=0.6, ls=":")
    a.set_xlabel("iteration n")
    a.set_ylabel(r"$(f(w_n)-f^\star)/f_0$")
    a.set_title(r"heavy ball, Polyak's $\eta,\beta$, $\kappa=100$", fontsize=9)
    a.legend(fontsize=6.5, loc="lower left")

    b.plot(gd["n"], gd["tau"], "o", ms=3.5, color="k", label=r"tight worst case $\tau(n)f_0$ (PEPit, smooth str. convex)")
    b.plot(gd["n"], gd["rate"], "--", color="tab:gray", label=r"rate $(1-1/\kappa)^{2n}f_0$ (tight here)")
    b.plot(gd_run.steps, gd_run.suboptimality[0] / gd_run.suboptimality[0, 0], "-", color="tab:blue",
           label="measured: gd on a power-law quadratic")
    b.set_xlabel("iteration n")
    b.set_title(r"gradient descent, $\eta=1/L$, $\kappa=100$", fontsize=9)
    b.legend(fontsize=6.5, loc="lower left")
    save_figure(fig, "hb_worst_case")
    above = hb["n"][hb["tau"] >= 1]
    out = {
        "tau_1_5": np.round(hb["tau"][:5], 3).tolist(),
        "rate_1_5": np.round(hb["rate"][:5], 3).tolist(),
        "max_rel_dev_sdp_vs_1d": float(np.max(np.abs(hb["tau"] / hb["exact_1d"] - 1))),
        "last_n_above_f0": int(above.max()) if above.size else 0,
        "worst_case_run_at_n_cert_over_tau": float(worst.suboptimality[0, N_CERT] / f0w / hb["tau"][N_CERT - 1]),
        "random_run_max_over_tau": float(np.max(rand.suboptimality[0, 1:] / f0r / hb["tau"])),
        "gd_max_rel_dev_tau_vs_rate": float(np.max(np.abs(gd["tau"] / gd["rate"] - 1))),
    }
    return out


def main(argv=None) -> None:
    args = parse_args(__doc__, STORE, argv, quick=False)
    for k, v in figure(args.store, args.n_jobs).items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
