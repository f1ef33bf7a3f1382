# theory-lab: every target creates and fills the virtual environment itself.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv test verify verify-test figures fig-shb fig-adagrad fig-asgo fig-zeroth-order fig-local-updates fig-scale fig-decentralized fig-dnasa fig-pep bench large gpu-check fig-shb-gpu lint clean-cache

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	# torch is pinned to the CPU build (an unpinned torch pulls a multi-GB CUDA build)
	$(VENV)/bin/pip install -q -e '.[dev,torch,dask,pep]'
	touch $(STAMP)

venv: $(STAMP)

test: venv
	$(PY) -m pytest -q

figures: fig-shb fig-adagrad fig-asgo fig-decentralized fig-zeroth-order fig-local-updates fig-dnasa fig-scale fig-pep

fig-shb: venv
	$(PY) -m experiments.shb

fig-adagrad: venv
	$(PY) -m experiments.adagrad

fig-asgo: venv
	$(PY) -m experiments.asgo

fig-decentralized: venv
	$(PY) -m experiments.decentralized

fig-dnasa: venv
	$(PY) -m experiments.dnasa

fig-zeroth-order: venv
	$(PY) -m experiments.zeroth_order

fig-local-updates: venv
	$(PY) -m experiments.local_updates

fig-scale: venv
	$(PY) -m experiments.scale

# claims measured at the figures' sizes, mutants tried: figures/VERIFICATION.md + verification.json
verify: venv
	$(PY) -m theory_lab verify --scale figure --out figures

# the same at test scale (a few minutes on 2 cores), into results/verify-test (not committed)
verify-test: venv
	$(PY) -m theory_lab verify --scale test --out results/verify-test

# heavy ball: PEPit's tight worst case tau(n) f0 beside the asymptotic rate and a measured run
fig-pep: venv
	$(PY) -m experiments.pep

bench: venv
	$(PY) -m theory_lab.bench

# large instances on a GPU (torch, CUDA, float32, noise drawn on the device); prints throughput
large: venv
	$(PY) -m theory_lab.large

# the GPU check (theory_lab/gpucheck.py): CUDA vs CPU, large presets, roofline ratios; ~5 min.
# Runs with the interpreter as is (no pip: a GPU machine may be offline); PY_GPU overrides it.
PY_GPU ?= $(if $(wildcard $(PY)),$(PY),$(PYTHON))
gpu-check:
	$(PY_GPU) -m theory_lab.gpucheck

# SHB kappa scaling at d = 1e7 with 64 seeds on CUDA when present (scaled down, and says so, otherwise)
fig-shb-gpu:
	$(PY_GPU) -m experiments.shb_gpu

lint: venv
	$(VENV)/bin/ruff check .

clean-cache:
	rm -rf results/cache
