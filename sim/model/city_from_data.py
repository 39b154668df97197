"""The city, its schools and its enterprises built from a city folder instead of drawn.

The same structures the synthetic generator builds (``City``, ``SchoolTable``,
``EnterpriseTable``) from a checked :class:`~sim.model.city_data.CityData`. Values a folder gives
are taken as they are (persons are turned into agents by ``persons_per_agent``); a value it
leaves out is drawn by the generator's own rule from the same named random stream the
generator would use ("city", "schools", "enterprises"). Loading draws from no other stream, so
every process after construction sees the random numbers it would see in a drawn city.
"""

from __future__ import annotations

import numpy as np

from sim.model.city import City, density_map, draw_parks, make_city, new_grid
from sim.model.city_data import CityData, agents
from sim.model.labour_demand import EnterpriseTable
from sim.model.schools import HIGHER_COLLEGE, SchoolTable
from sim.params import Params


def city_from_data(p: Params, data: CityData, rng: np.random.Generator, random) -> City:
    pc = p.city
    w, h = pc.width_cells, pc.height_cells
    grid = new_grid(pc, random)
    xs, ys = np.meshgrid(np.arange(w), np.arange(h), indexing="ij")
    cell_xy = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.int32)
    d = data.districts
    if data.cells is not None:
        flat = (data.cells["x"] * h + data.cells["y"]).to_numpy()
        population, district = np.zeros(w * h), np.zeros(w * h, dtype=np.int32)
        population[flat] = data.cells["population"].to_numpy()
        district[flat] = data.cells["district"].to_numpy()
        # A centre the file leaves out: the district's population-weighted centroid.
        centres = np.empty((len(d), 2))
        for k in range(len(d)):
            weights = np.where(district == k, population, 0.0)
            centres[k] = (np.average(cell_xy, axis=0, weights=weights) if weights.sum() > 0
                          else cell_xy[district == k].mean(axis=0))
        given = d["x"].notna().to_numpy()
        centres[given] = d.loc[given, ["x", "y"]].to_numpy()
    else:
        centres = d[["x", "y"]].to_numpy(dtype=float).copy()
        kind_sigma = np.where(np.arange(len(d)) == 0, pc.core_sigma_cells, pc.county_sigma_cells)
        given_sigma = d["sigma_cells"].to_numpy()
        sigmas = np.where(np.isnan(given_sigma), kind_sigma, given_sigma)
        pop = d["population"].to_numpy()
        shares = (1 - pc.rural_share) * pop / pop.sum()
        population, district = density_map(cell_xy, centres, sigmas, shares, pc.rural_share)
    if data.parks is not None:
        parks = data.parks[["x", "y"]].to_numpy(dtype=float).copy()
        park_district = data.parks["district"].to_numpy(dtype=np.int32).copy()
    else:
        parks, park_district = draw_parks(pc, centres, rng)
    return make_city(pc, grid, population, district, centres, parks, park_district,
                     data.district_names)


def cells_in_districts(city: City, district: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One cell per entry of ``district``, drawn within it by population (a loop over districts)."""
    cell = np.empty(len(district), dtype=np.int32)
    for k in np.unique(district):
        at = np.flatnonzero(district == k)
        weights = np.where(city.district == k, city.population, 0.0)
        if weights.sum() <= 0:
            weights = (city.district == k).astype(float)
        cell[at] = city.sample_cells(rng, len(at), weights)
    return cell


def given_cells(table, h: int) -> tuple[np.ndarray, np.ndarray]:
    """(flat cell id, whether given) from a table's x, y columns (NaN = not given)."""
    given = table["x"].notna().to_numpy()
    x = table["x"].fillna(0).to_numpy(dtype=np.int64)
    y = table["y"].fillna(0).to_numpy(dtype=np.int64)
    return (x * h + y).astype(np.int32), given


def schools_from_data(p: Params, city: City, data: CityData, rng: np.random.Generator) -> SchoolTable:
    ps, ppa, G = p.schools, p.run.persons_per_agent, len(p.sectors)
    t = data.schools
    n = len(t)
    kinds = t["kind"].to_numpy(dtype=np.int8)
    district = t["district"].to_numpy()
    cell, given = given_cells(t, p.city.height_cells)
    cell[~given] = cells_in_districts(city, district[~given], rng)

    seats = np.zeros((n, G))
    offered = np.zeros((n, G), dtype=bool)
    m = data.majors
    seats[m["school"], m["group"]] = [agents(v, ppa) for v in m["seats"]]
    offered[m["school"], m["group"]] = True
    capacity = np.array([agents(v, ppa) for v in t["capacity"]])
    capacity = np.where(np.isnan(capacity), seats.sum(axis=1), capacity)

    star = t["four_star"].to_numpy()
    drawn_star = (kinds != HIGHER_COLLEGE) & (rng.random(n) < ps.four_star_share)
    four_star = np.where(np.isnan(star), drawn_star, star == 1)
    reputation = t["reputation"].to_numpy()
    drawn_rep = rng.normal(0.0, 1.0, n) + ps.four_star_reputation * four_star
    reputation = np.where(np.isnan(reputation), drawn_rep, reputation)
    return SchoolTable(
        kind=kinds, cell=cell, four_star=four_star, reputation=reputation, capacity=capacity,
        seats=seats, offered=offered,
        opened_year=np.full((n, G), -9999, dtype=np.int32),
        under_years=np.zeros((n, G), dtype=np.int32),
        budget_yuan=np.full(n, ps.adjustment_budget_yuan),
        bases=np.zeros(n, dtype=np.int64),
        pilot=np.zeros((n, G), dtype=bool),
    )


def enterprise_cells(p: Params, city: City, t, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cells as given; else near the firm's park; else, with ``enterprise_park_share``, near a
    park of its district (if it has one), otherwise by population in its district. Also each
    firm's park (-1 for none): as given (a firm with a given cell keeps its named park), or
    the one drawn."""
    cell, given = given_cells(t, p.city.height_cells)
    park = t["park"].to_numpy().copy()
    district = t["district"].to_numpy()
    to_park = ~given & (park < 0) & (rng.random(len(t)) < p.city.enterprise_park_share)
    for d in np.unique(district[to_park]):  # a loop over districts, not firms
        at = np.flatnonzero(to_park & (district == d))
        own = np.flatnonzero(city.park_district == d)
        park[at] = rng.choice(own, size=len(at)) if own.size else -1
    member = park.copy()
    park = np.where(given, -1, park)
    for k in np.unique(park[park >= 0]):
        at = np.flatnonzero(park == k)
        cell[at] = city.sample_near(rng, len(at), city.parks[k], p.city.park_sigma_cells)
    rest = ~given & (park < 0)
    cell[rest] = cells_in_districts(city, district[rest], rng)
    return cell, member


def enterprises_from_data(p: Params, city: City, data: CityData,
                          rng: np.random.Generator) -> EnterpriseTable:
    pe, sectors = p.enterprises, list(p.sectors.values())
    t = data.enterprises
    n, G = len(t), len(sectors)
    sector = t["sector"].to_numpy(dtype=np.int16)
    n_chains = np.array([s.chains for s in sectors])
    first_chain = np.r_[0, np.cumsum(n_chains)[:-1]]
    given = t["chain"].to_numpy()  # within the sector in the file; ids count across sectors here
    given = np.where(given >= 0, first_chain[sector] + given, -1)
    pick = (rng.random(n) * np.maximum(n_chains[sector], 1)).astype(int)
    drawn = np.where(n_chains[sector] > 0, first_chain[sector] + pick, -1)
    chain = np.where(t["chain"].isna(), drawn, given).astype(np.int16)
    cell, park = enterprise_cells(p, city, t, rng)

    employees = t["employees"].to_numpy(dtype=float).copy()  # the cached table stays as read
    wage_sector = np.array([s.wage_index for s in sectors])[sector]
    log_size = np.log(employees / np.median(employees))
    drawn_wage = wage_sector * np.exp(pe.wage_size_elasticity * log_size + rng.normal(0, pe.wage_sd, n))
    wage_index = np.where(t["wage_index"].isna(), drawn_wage, t["wage_index"].to_numpy())
    leading = t["leading"].to_numpy()
    top = np.zeros(n, dtype=bool)
    top[np.argsort(-employees)[:max(1, int(round(pe.leading_firm_share * n)))]] = True
    leading = np.where(np.isnan(leading), top, leading == 1)
    drawn_prop = rng.beta(p.partnerships.propensity_alpha, p.partnerships.propensity_beta, n)
    propensity = np.where(t["propensity"].isna(), drawn_prop, t["propensity"].to_numpy())
    return EnterpriseTable(
        sector=sector, chain=chain, cell=cell.astype(np.int32), park=park.astype(np.int32),
        employees=employees,
        employees_year_start=employees.copy(),
        growth_last_year=np.array([sectors[s].growth for s in sector]),
        wage_index=wage_index, leading=leading,
        vacancies=np.zeros((n, G), dtype=np.int32),
        unfilled_last=np.zeros(n, dtype=np.int64),
        propensity=propensity,
        sector_shock=np.zeros(G),
        pay_premium=np.zeros(n),
        reach=np.ones(n),
        reserved=np.zeros((n, G), dtype=np.int32),
        posted_open=np.zeros(n, dtype=np.int64),
        planned_open=np.zeros(n),
        unfilled_share_last=np.zeros(n),
        class_graduates=np.zeros(n),
        class_hires=np.zeros(n),
    )
