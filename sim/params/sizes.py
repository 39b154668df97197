"""What a parameter set asks of the machine: students, agents and memory, known before a run.

Checked with every validation (``load_params``, ``--set``, every sweep point), so ``skills-sim
check`` refuses what ``skills-sim run`` could not finish instead of a run dying of MemoryError.

The memory figures come from ``benchmarks/bench_performance.py`` (peak 271 MB at 1x the
baseline city, about 84,000 students alive; 651 MB at 4x): about 1.5 kB per student alive
over a fixed ~150 MB, here rounded up to 2 kB, plus the admission step's per-applicant
matrices (interest and choice utilities, a few float64 values per major group and school
considered).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.params.base import ParamError

if TYPE_CHECKING:
    from sim.params.schema import Params

FIXED_BYTES = 150e6            # interpreter, libraries, grid and tables of a run
BYTES_PER_AGENT = 2_000        # a student or enterprise agent with its arrays (measured ~1.5 kB)
BYTES_PER_CHOICE = 8 * 4       # float64 choice matrices per applicant, major group and school
FALLBACK_MEMORY = 16 * 2**30   # when the machine's memory cannot be read


@dataclass(frozen=True)
class RunSize:
    applicants_per_year: float   # agents applying in the largest year
    students_alive: float        # agents enrolled at once, at most
    agents: float                # students and enterprises
    memory_bytes: float          # estimated peak memory of one run


def run_size(p: Params) -> RunSize:
    """Upper estimates for one run of ``p`` (agents are persons / persons_per_agent)."""
    d, ppa = p.demography, p.run.persons_per_agent
    growth = max(1.0, (1.0 + d.cohort_trend_per_year) ** max(0, p.run.years - 1))
    cohort = d.junior_high_graduates * growth
    applicants = (cohort * (1 - d.general_track_share) * d.vocational_uptake
                  + d.higher_entrants_from_general * growth) / ppa
    alive = applicants * p.students.programme_years
    agents = alive + p.enterprises.n
    choices = len(p.sectors) + p.school_choice.schools_considered + p.school_choice.colleges_considered
    memory = FIXED_BYTES + agents * BYTES_PER_AGENT + applicants * choices * BYTES_PER_CHOICE
    return RunSize(applicants, alive, agents, memory)


def machine_memory() -> float:
    """Physical memory of this machine in bytes."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float(FALLBACK_MEMORY)


def check_run_size(p: Params, source: str) -> None:
    """Refuse a parameter set whose run would need more memory than this machine has."""
    size, limit = run_size(p), machine_memory()
    if size.memory_bytes <= limit:
        return
    d = p.demography
    raise ParamError(
        source, "demography.junior_high_graduates", d.junior_high_graduates,
        f"with run.persons_per_agent = {p.run.persons_per_agent} a run would hold about "
        f"{size.students_alive:,.0f} students ({size.agents:,.0f} agents) and need about "
        f"{size.memory_bytes / 2**30:,.1f} GiB of memory, more than this machine's "
        f"{limit / 2**30:,.1f} GiB; raise run.persons_per_agent or lower the cohort "
        "(demography.junior_high_graduates, higher_entrants_from_general) or enterprises.n")
