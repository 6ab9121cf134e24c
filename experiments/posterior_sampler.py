"""A pyabc sampler that gives the same particles whatever the number of worker processes, and
the ABC-SMC run over it that `experiments/posterior.py` and `experiments/calibrate.py` share.

pyabc's own parallel samplers (`MulticoreEvalParallelSampler`, `MappingSampler`) reseed every
worker from the operating system's entropy (`np.random.seed()`), so the same seed does not give
the same posterior. This one numbers the simulations of a generation (0, 1, 2, ...), seeds
numpy's and Python's global generators for simulation i from (root seed, call, i) alone, runs
the numbered simulations in batches over a process pool, and keeps the accepted ones in number
order up to the population size: the particles a sequential sampler would keep with the same
numbered seeds, so the result depends on neither the number of workers nor their timing.
Keeping them in number order, not in the order they finish, is also what keeps fast
simulations from being favoured (Jagiella et al. 2017, the rule pyabc's own evaluation-parallel
sampler follows).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

FIRST_BATCH_SHARE = 1.0  # the first batch of a generation: the population size times this
BATCH_MARGIN = 1.2  # later batches: what the acceptance rate so far says is missing, times this
MOST_PER_BATCH = 20  # ... at most this many times the population size


def simulation_seed(root: int, call: int, index: int) -> int:
    """The seed of simulation `index` of the sampler's `call`-th generation: a function of the
    three numbers alone (numpy's SeedSequence), a 32-bit value as `np.random.seed` takes."""
    return int(np.random.SeedSequence([root, call, index]).generate_state(1)[0])


def simulate_numbered(payload: bytes, seeds: list[int]) -> list:
    """Run pyabc's `simulate_one` once per seed, each with the global generators set to it."""
    simulate_one = cloudpickle.loads(payload)
    particles = []
    for seed in seeds:
        np.random.seed(seed)
        random.seed(seed)
        particles.append(simulate_one())
    return particles


class NumberedSampler(Sampler):
    """pyabc's `Sampler` contract (`sample_until_n_accepted`) over numbered, seeded simulations.

    `workers` processes (forked) run each batch; with one worker the batch runs in this
    process, with the same seeds and so the same particles."""

    def __init__(self, seed: int, workers: int = 2):
        super().__init__()
        if workers < 1:
            raise ValueError(f"workers = {workers!r}; allowed: an integer >= 1")
        self.seed = seed
        self.workers = workers
        self.calls = 0  # generations sampled so far: each one's seeds are its own

    def batch_size(self, n: int, missing: int, accepted: int, evaluated: int) -> int:
        if evaluated == 0:
            wanted = math.ceil(FIRST_BATCH_SHARE * n)
        else:
            rate = max(accepted, 1) / evaluated
            wanted = math.ceil(BATCH_MARGIN * missing / rate)
        return int(min(max(wanted, 1), MOST_PER_BATCH * n))  # never the workers': the count must not depend on them

    def run(self, payload: bytes, seeds: list[int], pool) -> list:
        if pool is None:
            return simulate_numbered(payload, seeds)
        share = math.ceil(len(seeds) / self.workers)
        parts = [seeds[first:first + share] for first in range(0, len(seeds), share)]
        return [particle for part in pool.starmap(simulate_numbered, [(payload, part) for part in parts])
                for particle in part]

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        call, self.calls = self.calls, self.calls + 1
        payload = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        accepted = evaluated = 0
        context = multiprocessing.get_context("fork")
        pool = context.Pool(self.workers) if self.workers > 1 else None
        try:
            while accepted < n and evaluated < max_eval:
                size = n - accepted if all_accepted else self.batch_size(n, n - accepted, accepted, evaluated)
                if max_eval < np.inf:
                    size = int(min(size, max_eval - evaluated))
                seeds = [simulation_seed(self.seed, call, evaluated + i) for i in range(size)]
                for particle in self.run(payload, seeds, pool):
                    evaluated += 1  # every simulation run is counted, those after the n-th acceptance too
                    if accepted < n:
                        sample.append(particle)
                        accepted += particle.accepted
        finally:
            if pool is not None:
                pool.close()
                pool.join()
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample


class Kernel(Enum):
    """How particles are moved between generations (pyabc's transitions): one multivariate
    normal fitted to the whole population (Silverman's bandwidth; pyabc's default), or one per
    particle fitted to its nearest quarter of the population (Filippi et al. 2013's locally
    adapted kernel), which follows a curved ridge of good fits instead of spanning it (in
    calibrate's benchmark it reached a lower tolerance at the same budget)."""

    GLOBAL_NORMAL = "global"
    LOCAL_NORMAL = "local"


@dataclass(frozen=True)
class SmcBudget:
    """How far an ABC-SMC run goes: pyabc's population and its stopping rules."""

    population: int
    generations: int
    max_simulations: int
    min_acceptance_rate: float


@dataclass(frozen=True)
class Posterior:
    """The last population of an ABC-SMC run: a weighted sample of the approximate posterior."""

    names: tuple[str, ...]
    particles: np.ndarray  # particles x names
    weights: np.ndarray  # normalised
    epsilons: list[float]
    simulations: int
    seconds: float

    @property
    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weights, 1 / sum(w^2)."""
        return float(1.0 / np.sum(self.weights ** 2))


def abc_smc(model: Callable, bounds: dict[str, tuple[float, float]], distance: Callable, observed: dict,
            budget: SmcBudget, seed: int, workers: int, kernel: Kernel = Kernel.GLOBAL_NORMAL) -> Posterior:
    """ABC-SMC (Toni et al. 2009) by pyabc (Klinger et al. 2018) with uniform priors over
    `bounds`, pyabc's median epsilon schedule and the numbered sampler: the same seed gives the
    same posterior on any number of workers."""
    import pyabc

    np.random.seed(seed)  # pyabc draws in this process too (the first population's bookkeeping)
    names = tuple(bounds)
    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in bounds.items()})
    transition = (pyabc.transition.LocalTransition() if kernel is Kernel.LOCAL_NORMAL
                  else pyabc.transition.MultivariateNormalTransition())
    abc = pyabc.ABCSMC(model, prior, distance, population_size=budget.population, transitions=transition,
                       sampler=NumberedSampler(seed, workers))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        abc.new("sqlite:///" + os.path.join(folder, "abc.db"), observed)
        history = abc.run(max_nr_populations=budget.generations, max_total_nr_simulations=budget.max_simulations,
                          min_acceptance_rate=budget.min_acceptance_rate)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        populations = history.get_all_populations()
        simulations = int(history.total_nr_simulations)
    seconds = time.perf_counter() - started
    epsilons = [float(e) for e in populations.loc[populations["t"] >= 0, "epsilon"]]
    return Posterior(names=names, particles=frame[list(names)].to_numpy(dtype=float),
                     weights=np.asarray(weights, dtype=float) / np.sum(weights), epsilons=epsilons,
                     simulations=simulations, seconds=seconds)
