"""Seed derivation: every seed of a study follows from one master seed (``numpy.random.SeedSequence``).

Replicate ``k``'s seed depends only on ``(master_seed, k)``; a study's own streams (a design, a
sampler) use spawn keys apart from the replicates' ``(k,)``, so they never share a seed.
"""

from __future__ import annotations

import numpy as np

SEED_METHOD = ("numpy.random.SeedSequence(master_seed).spawn(R)[k].generate_state(1, uint64)[0] "
               ">> 1 (63 bits); replicates[k] is the seed of replicate k in every scenario")


def replicate_seeds(master_seed: int, replicates: int) -> list[int]:
    """Seed of each replicate, derived from the master seed.

    Replicate ``k``'s seed depends only on ``(master_seed, k)``, so raising ``R`` keeps the first
    replicates' numbers; 63-bit seeds make two replicates sharing a seed practically impossible.
    """
    return [replicate_seed(master_seed, k) for k in range(replicates)]


def replicate_seed(master_seed: int, k: int) -> int:
    """Replicate ``k``'s seed alone: ``SeedSequence(master).spawn(R)[k]`` is
    ``SeedSequence(master, spawn_key=(k,))``, so no other replicate's seed is made."""
    child = np.random.SeedSequence(master_seed, spawn_key=(k,))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def keyed_seed(master_seed: int, *spawn_key: int) -> int:
    """A 32-bit seed from ``SeedSequence(master_seed, spawn_key=spawn_key)`` (a design's or a
    sampler's stream, apart from the replicates')."""
    ss = np.random.SeedSequence(master_seed, spawn_key=spawn_key)
    return int(ss.generate_state(1, np.uint32)[0])
