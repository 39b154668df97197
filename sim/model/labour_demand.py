"""Enterprises: where they are, how they grow, and the skilled vacancies they post.

Each enterprise belongs to one sector of the "6+3+X" system (and, in the 6+3, to one of its key
industry chains). Employment follows the sector's trend plus a persistent sector shock and an
idiosyncratic monthly shock. Each spring an enterprise posts graduate vacancies in proportion
to its size, raised by last year's growth and cut after a season of unfilled posts, spread over
major groups: mostly its own sector's group, the rest over the others, related groups (same
family of the major catalogue) weighing more.

At each season's close a firm looks at the share ``u`` of its own open posts left unfilled
(posts reserved for its order-class graduates are not counted): it raises its offered pay and
widens its recruiting reach by amounts proportional to ``u`` (within bounds), both drifting back
as posts fill, and plans fewer posts next season. Offered pay is part of the firm's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import numpy as np

from sim.model.city import City
from sim.params import Params

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


@dataclass
class EnterpriseTable:
    sector: np.ndarray          # (E,) int: sector index = major group it hires most from
    chain: np.ndarray           # (E,) int: key industry chain id, -1 outside the 20 chains
    cell: np.ndarray            # (E,) int: flat cell id
    park: np.ndarray            # (E,) int: industrial park it sits in, -1 outside the parks
    employees: np.ndarray       # (E,) float: persons
    employees_year_start: np.ndarray  # (E,) float: employment last January (for growth)
    growth_last_year: np.ndarray      # (E,) float: relative employment change over last year
    wage_index: np.ndarray      # (E,) float: base pay relative to the city's graduate wage
    leading: np.ndarray         # (E,) bool: one of the city's largest (leading) firms
    vacancies: np.ndarray       # (E, G) int: open graduate vacancies (agents) this season
    unfilled_last: np.ndarray   # (E,) int: vacancies left unfilled at the close of last season
    propensity: np.ndarray      # (E,) float in [0, 1]: propensity to cooperate with schools
    sector_shock: np.ndarray    # (G,) float: current yearly sector growth shock
    pay_premium: np.ndarray     # (E,) float >= 0: offered pay over the wage index, after unfilled posts
    reach: np.ndarray           # (E,) float >= 1: factor on the distance its posts are seen over
    reserved: np.ndarray        # (E, G) int: posts reserved for its order-class graduates this season
    posted_open: np.ndarray     # (E,) int: open (not reserved) posts posted this season
    planned_open: np.ndarray    # (E,) float: open posts it planned this season (the Poisson mean)
    unfilled_share_last: np.ndarray  # (E,) float: unfilled open posts / posts planned, last season
    class_graduates: np.ndarray # (E,) float: persons who graduated from its order classes, so far
    class_hires: np.ndarray     # (E,) float: of whom it hired, persons

    @property
    def offered_pay(self) -> np.ndarray:
        """(E,) pay a firm offers graduates, relative to the city's graduate wage."""
        return self.wage_index * (1.0 + self.pay_premium)

    @property
    def n(self) -> int:
        return len(self.sector)


def build_enterprises(p: Params, city: City, rng: np.random.Generator) -> EnterpriseTable:
    pe, sectors = p.enterprises, list(p.sectors.values())
    G = len(sectors)
    share = np.array([s.enterprise_share for s in sectors])
    sector = rng.choice(G, size=pe.n, p=share).astype(np.int16)

    # Key industry chains: each sector's chains get consecutive ids; firms pick one at random.
    n_chains = np.array([s.chains for s in sectors])
    first_chain = np.r_[0, np.cumsum(n_chains)[:-1]]
    pick = (rng.random(pe.n) * np.maximum(n_chains[sector], 1)).astype(int)
    chain = np.where(n_chains[sector] > 0, first_chain[sector] + pick, -1).astype(np.int16)

    in_park = rng.random(pe.n) < p.city.enterprise_park_share
    cell = city.sample_cells(rng, pe.n, city.population)
    park = rng.integers(0, len(city.parks), size=pe.n)
    for k in range(len(city.parks)):  # a loop over parks, not firms
        at = np.flatnonzero(in_park & (park == k))
        cell[at] = city.sample_near(rng, len(at), city.parks[k], p.city.park_sigma_cells)

    employees = np.maximum(rng.lognormal(pe.size_log_mean, pe.size_log_sd, pe.n), pe.min_employees)
    wage_sector = np.array([s.wage_index for s in sectors])[sector]
    log_size = np.log(employees / np.median(employees))
    wage_index = wage_sector * np.exp(pe.wage_size_elasticity * log_size + rng.normal(0, pe.wage_sd, pe.n))
    n_leading = max(1, int(round(pe.leading_firm_share * pe.n)))
    leading = np.zeros(pe.n, dtype=bool)
    leading[np.argsort(-employees)[:n_leading]] = True

    return EnterpriseTable(
        sector=sector,
        chain=chain,
        cell=cell.astype(np.int32),
        park=np.where(in_park, park, -1).astype(np.int32),
        employees=employees,
        employees_year_start=employees.copy(),
        growth_last_year=np.array([sectors[s].growth for s in sector]),
        wage_index=wage_index,
        leading=leading,
        vacancies=np.zeros((pe.n, G), dtype=np.int32),
        unfilled_last=np.zeros(pe.n, dtype=np.int64),
        propensity=rng.beta(p.partnerships.propensity_alpha, p.partnerships.propensity_beta, pe.n),
        sector_shock=np.zeros(G),
        pay_premium=np.zeros(pe.n),
        reach=np.ones(pe.n),
        reserved=np.zeros((pe.n, G), dtype=np.int32),
        posted_open=np.zeros(pe.n, dtype=np.int64),
        planned_open=np.zeros(pe.n),
        unfilled_share_last=np.zeros(pe.n),
        class_graduates=np.zeros(pe.n),
        class_hires=np.zeros(pe.n),
    )


def sector_growth(p: Params) -> np.ndarray:
    return np.array([s.growth for s in p.sectors.values()])


def new_year_shocks(model: SkillsModel) -> None:
    """January: draw this year's sector shocks (AR(1)) and book last year's growth."""
    e, pe = model.enterprises, model.p.enterprises
    e.sector_shock[:] = pe.sector_shock_persistence * e.sector_shock + model.rng_for("labour demand").normal(
        0.0, pe.sector_shock_sd, len(e.sector_shock)
    )
    e.growth_last_year[:] = e.employees / e.employees_year_start - 1.0
    e.employees_year_start[:] = e.employees


def employment_dynamics(model: SkillsModel) -> None:
    """Every month: employment moves with sector trend, sector shock and own shock."""
    e, pe = model.enterprises, model.p.enterprises
    monthly = (sector_growth(model.p) + e.sector_shock)[e.sector] / 12.0
    noise = model.rng_for("labour demand").normal(0.0, pe.shock_sd_per_month, e.n)
    e.employees *= np.exp(monthly + noise)
    np.maximum(e.employees, 1.0, out=e.employees)


def group_mix(model: SkillsModel) -> np.ndarray:
    """(E, G) share of each enterprise's graduate vacancies by major group: ``own_group_share``
    in its sector's group, the rest over the other groups, a related one (same ``family`` of
    the major catalogue) weighing ``related_group_weight`` against 1 for an unrelated one."""
    e = model.enterprises
    return sector_mix(model.p)[e.sector]


def sector_mix(p: Params) -> np.ndarray:
    """(G, G) share of a sector's firms' vacancies by major group (rows: the firm's sector)."""
    sectors = list(p.sectors.values())
    own = p.enterprises.own_group_share
    family = [s.family for s in sectors]
    related = np.array([[a is not None and a == b for b in family] for a in family])
    weight = np.where(related, p.enterprises.related_group_weight, 1.0)
    np.fill_diagonal(weight, 0.0)
    mix = (1.0 - own) * weight / weight.sum(axis=1, keepdims=True)
    np.fill_diagonal(mix, own)
    return mix


def expected_vacancies(model: SkillsModel) -> np.ndarray:
    """(E,) expected graduate vacancies this year, in agents."""
    e, pe = model.enterprises, model.p.enterprises
    rate = pe.hiring_rate_per_year * np.maximum(0.0, 1.0 + pe.growth_hiring_coef * e.growth_last_year)
    cut = np.maximum(0.0, 1.0 - pe.posting_cut_per_unfilled_share * e.unfilled_share_last)
    return e.employees * rate * cut / model.persons_per_agent


def post_vacancies(model: SkillsModel) -> None:
    """Spring recruitment: each enterprise posts its graduate vacancies for the season."""
    e = model.enterprises
    e.planned_open[:] = expected_vacancies(model)
    total = model.rng_for("labour demand").poisson(e.planned_open)
    e.vacancies[:] = model.rng_for("labour demand").multinomial(total, group_mix(model))
    e.posted_open[:] = total
    by_group = e.vacancies.sum(axis=0)
    model.record_year("vacancies_by_group", by_group)
    model.flow("vacancies.posted", by_group.sum())


def respond_to_unfilled(model: SkillsModel) -> None:
    """Season's close: each firm adjusts offered pay, recruiting reach and next season's posts to
    its own open posts left unfilled (reserved sponsor posts are not counted).

    ``u`` is the firm's unfilled posts over the posts it planned (the mean of its Poisson draw),
    read against its sector's city-wide share as if from ``unfilled_prior_posts`` more posts:
    a firm with a handful of posts does not take one missed hire for a shortage. Both weights are
    in persons, so ``u`` has the same distribution at any persons-per-agent scale (dividing by
    the posts drawn would not: at 10 persons per agent half the firms draw none)."""
    e, pe, G = model.enterprises, model.p.enterprises, len(model.groups)
    unfilled = e.vacancies.sum(axis=1)
    sector_u = (np.bincount(e.sector, weights=unfilled, minlength=G)
                / np.maximum(np.bincount(e.sector, weights=e.planned_open, minlength=G), 1e-12))
    k = pe.unfilled_prior_posts / model.persons_per_agent
    u = (unfilled + k * sector_u[e.sector]) / np.maximum(e.planned_open + k, 1e-12)
    keep = 1.0 - pe.pay_reversion_per_year
    e.pay_premium[:] = np.clip(keep * e.pay_premium + pe.pay_raise_per_unfilled_share * u,
                               0.0, pe.max_pay_premium)
    e.reach[:] = np.clip(1.0 + keep * (e.reach - 1.0) + pe.reach_gain_per_unfilled_share * u,
                         1.0, pe.max_reach_factor)
    e.unfilled_share_last[:] = u
