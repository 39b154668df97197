"""Each replicate's own values of the uncertain assumptions (a parameter file's ``[uncertain]``).

Every assumption gets its own Latin hypercube over the replicates (``scipy.stats.qmc``, one
dimension per key: independent stratified permutations, which is what a Latin hypercube is), from
a stream keyed by the master seed and the key's name. So replicate ``k`` draws the same unit value
of a key in every scenario (scenario differences stay paired, as the replicates' seeds do), and a
key's draws do not change when another key is ranged or dropped. Raising the number of replicates
re-stratifies, so it changes every replicate's draws (unlike its seed).
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from sim.experiments.ranges import Factor
from sim.params import Params, lookup

_ASSUMPTION_KEY = 0xA55E  # spawn key of the assumption draws, apart from the replicates' (k,)
ASSUMPTION_METHOD = ("per key: scipy.stats.qmc.LatinHypercube(d=1, rng=numpy.random.default_rng("
                     f"SeedSequence(master_seed, spawn_key=({_ASSUMPTION_KEY}, crc32(key))))).random(R)"
                     "; replicate k's unit value of a key is the same in every scenario, mapped "
                     "through that scenario's range (uniform, loguniform or triangular)")
COLUMNS = ["scenario", "replicate", "key", "value"]


def unit_draws(key: str, master_seed: int, replicates: int) -> np.ndarray:
    """Replicate k's point in [0, 1) for ``key``: one stratum of 1/R per replicate."""
    from scipy.stats import qmc

    ss = np.random.SeedSequence(master_seed, spawn_key=(_ASSUMPTION_KEY, zlib.crc32(key.encode())))
    return qmc.LatinHypercube(d=1, rng=np.random.default_rng(ss)).random(replicates)[:, 0]


def draw_assumptions(ranged: dict[str, list[Factor]], replicates: int,
                     master_seed: int) -> pd.DataFrame:
    """``scenario, replicate, key, value``: each scenario's ranged keys for every replicate."""
    rows = []
    for scenario, factors in ranged.items():
        for f in factors:
            u = unit_draws(f.key, master_seed, replicates)
            rows += [(scenario, k, f.key, float(f.at_unit(u[k]))) for k in range(replicates)]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"replicate": "int64", "value": "float64"})


def fixed_values(scenarios: dict[str, Params], ranged: dict[str, list[Factor]],
                 replicates: int) -> pd.DataFrame:
    """The point values of the ranged keys for every replicate (``--fixed-assumptions``): the
    same table, so the folder says what every replicate used."""
    rows = [(name, k, f.key, float(lookup(scenarios[name].to_dict(), f.key)))
            for name, factors in ranged.items() for f in factors for k in range(replicates)]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"replicate": "int64", "value": "float64"})


def drawn_overrides(draws: pd.DataFrame, ranged: dict[str, list[Factor]]
                    ) -> dict[tuple[str, int], dict]:
    """``(scenario, replicate) -> {key: value}`` in the parameters' own types (whole numbers for
    whole-number keys), for :meth:`Params.override`."""
    kinds = {(name, f.key): f for name, factors in ranged.items() for f in factors}
    out: dict[tuple[str, int], dict] = {}
    for s, k, key, v in draws[COLUMNS].itertuples(index=False):
        out.setdefault((s, int(k)), {})[key] = kinds[(s, key)].decode(v)
    return out


def wide(draws: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """One scenario's draws as a table: a row per replicate, a column per key (file order)."""
    d = draws[draws["scenario"] == scenario]
    keys = list(dict.fromkeys(d["key"]))
    return d.pivot(index="replicate", columns="key", values="value")[keys]


def replicate_overrides(params: Params, replicates: int, master_seed: int,
                        source: str) -> tuple[dict, ...]:
    """Replicate k's drawn values of ``params``'s ranged keys (a study's base): the same draws
    a forecast of ``params`` with this master seed makes, so a study point equal to the base
    reproduces the forecast's replicates."""
    from sim.experiments.ranges import parse_uncertain

    factors = parse_uncertain(params, source)
    if not factors:
        return tuple({} for _ in range(replicates))
    drawn = drawn_overrides(draw_assumptions({"": factors}, replicates, master_seed), {"": factors})
    return tuple(drawn[("", k)] for k in range(replicates))


def with_assumptions(params: Params, values: dict, source: str) -> Params:
    """``params`` with one replicate's drawn values of the keys it still ranges (a study point
    or lever that sets a ranged key fixes it, and the draw gives way)."""
    mine = {k: v for k, v in values.items() if k in params.uncertain}
    return params.override(mine, source=source) if mine else params


def forecast_draws(scenarios: dict[str, Params], sources: list[str], replicates: int,
                   master_seed: int, fixed: bool = False
                   ) -> tuple[dict[str, list[Factor]], pd.DataFrame, bool]:
    """What a forecast draws: each scenario's ranged factors (checked), the draws table, and
    whether the assumptions are held at their point values (asked, or nothing is ranged)."""
    from sim.experiments.ranges import parse_uncertain

    ranged = {name: parse_uncertain(p, src) for (name, p), src in zip(scenarios.items(), sources)}
    fixed = bool(fixed) or not any(ranged.values())
    draws = (fixed_values(scenarios, ranged, replicates) if fixed
             else draw_assumptions(ranged, replicates, master_seed))
    return ranged, draws, fixed
