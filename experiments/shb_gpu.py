"""SHB kappa scaling at scale (``make fig-shb-gpu``): d = 10^7, 64 seeds, on CUDA when present.

The same measurement as ``figures/shb_kappa_scaling`` (iterations to epsilon vs kappa, SGD and
SHB, large-batch regime) with d = 10^7 and 64 seeds, run through the ordinary runner on
``torch``/``cuda``/``float32`` with device noise.  Without CUDA it says so and runs scaled down
on the CPU (d = 10^4, 8 seeds, kappa <= 256) so the pipeline is still exercised.  Writes
``figures/shb_kappa_scaling_gpu.{pdf,png}`` and prints the fitted slopes.
"""

from __future__ import annotations

import argparse

import numpy as np


def main(argv=None):
    from experiments.shb import METHODS, kappa_scaling_configs
    from theory_lab.plotting import new_figure, save_figure
    from theory_lab.rates import fit_loglog, iterations_to_epsilon
    from theory_lab.runner import run_config

    ap = argparse.ArgumentParser(prog="python -m experiments.shb_gpu", description=__doc__.split("\n")[0])
    ap.add_argument("--outdir", default="figures")
    args = ap.parse_args(argv)
    try:
        import torch
        cuda = torch.cuda.is_available()
    except ImportError:
        cuda = False
    if cuda:
        d, seeds, kappas = 10**7, range(64), [16, 64, 256, 1024, 4096]
        where = dict(backend="torch", device="cuda", dtype="float32", rng="device")
        print(f"fig-shb-gpu: CUDA ({torch.cuda.get_device_name()}), d = {d:.0e}, {len(seeds)} seeds")
    else:
        d, seeds, kappas = 10**4, range(8), [16, 64, 256]
        where = {}
        print(f"fig-shb-gpu: CUDA is not available; running scaled down on the CPU (d = {d:.0e}, "
              f"{len(seeds)} seeds, kappa <= {max(kappas)})")
    eps = 1e-3
    configs = kappa_scaling_configs(kappas, eps=eps, d=d, seeds=seeds)
    fig, ax = new_figure(logx=True)
    for name, cs in configs.items():
        it = np.stack([iterations_to_epsilon(run_config(c.replace(**where)), eps) for c in cs])
        fit = fit_loglog(np.asarray(kappas, float), it)
        med = np.median(it, axis=1)
        ax.plot(kappas, med, "o-", label=f"{name}: slope {fit.slope:.3f}")
        print(f"{name:<6s} slope {fit.slope:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]  iterations {med.tolist()}")
    ax.set_xlabel(r"$\kappa$")
    ax.set_ylabel(r"iterations to $\epsilon$")
    ax.legend()
    for path in save_figure(fig, "shb_kappa_scaling_gpu", outdir=args.outdir):
        print(f"wrote {path}")
    assert set(configs) == set(METHODS)


if __name__ == "__main__":
    main()
