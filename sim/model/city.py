"""The city on a Mesa grid: districts, population density, industrial parks and fixed sites.

The city is an ``OrthogonalMooreGrid`` of ``width x height`` cells. An urban core sits at the
centre and county seats on a ring around it; population density is a mixture of a Gaussian per
district plus a uniform rural share. Industrial parks sit a few cells off the core and the first
county seats; enterprises cluster in them. The layout is drawn once from the model's RNG, so a
seed fixes the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from mesa.discrete_space import Cell, OrthogonalMooreGrid

from sim.params import City as CityParams


class CityCell(Cell):
    """A grid cell that holds its agents in an insertion-ordered dict instead of a list.

    A cell in the urban core holds about 500 students, and Mesa's ``Cell`` removes an agent
    with ``list.remove`` and then copies the list to test emptiness: both O(agents in the
    cell), so a student leaving a dense cell cost hundreds of steps. Here adding and removing
    are O(1) and the ``empty`` property layer is written only when it changes. The
    dict iterates like the list did (same agents, same order), which is all Mesa's
    ``CellCollection`` and neighbourhoods rely on (they keep a reference to ``_agents``).
    """

    def __init__(self, coordinate, capacity=None, random=None) -> None:
        super().__init__(coordinate, capacity, random)
        self._agents = {}

    def add_agent(self, agent) -> None:
        agents = self._agents
        if self.capacity and len(agents) >= self.capacity:
            raise ValueError(f"cell {self.coordinate} is full ({self.capacity} agents)")
        if not agents:
            self.empty = False
        agents[agent] = None

    def remove_agent(self, agent) -> None:
        agents = self._agents
        del agents[agent]
        if not agents:
            self.empty = True

    @property
    def is_empty(self) -> bool:
        return not self._agents

    @property
    def is_full(self) -> bool:
        return len(self._agents) == self.capacity

    @property
    def agents(self) -> list:
        return list(self._agents)


@dataclass
class City:
    """Geography shared by all processes. Arrays are indexed by flat cell id ``x * height + y``."""

    grid: OrthogonalMooreGrid
    cell_xy: np.ndarray          # (n_cells, 2) int: grid coordinates of each cell
    population: np.ndarray       # (n_cells,) float: residents per cell (sums to the density scale)
    district: np.ndarray         # (n_cells,) int: 0 = urban core, 1.. = counties
    centres: np.ndarray          # (n_districts, 2) float: district centres in cell units
    parks: np.ndarray            # (n_parks, 2) float: industrial-park centres in cell units
    park_district: np.ndarray    # (n_parks,) int
    cell_km: float
    district_names: list[str] = field(default_factory=list)  # district 0 (the urban core) first
    _nearest: dict = field(default_factory=dict, repr=False)  # memo of nearest_sites
    _decay: dict = field(default_factory=dict, repr=False, compare=False)    # memo of distance_decay
    _xy32: tuple | None = field(default=None, repr=False, compare=False)     # cell_xy as float32 columns, for km

    @property
    def n_cells(self) -> int:
        return len(self.cell_xy)

    def cell(self, cell_id: int):
        """The Mesa cell with flat id ``cell_id``."""
        x, y = self.cell_xy[cell_id]
        return self.grid[(int(x), int(y))]

    def km(self, cells_a: np.ndarray, cells_b: np.ndarray) -> np.ndarray:
        """Straight-line distance in km between flat cell ids (broadcasting).

        From the cells' float32 x and y columns, made once: distances are computed millions of
        times a run, and a (..., 2) array summed over its last axis costs several times the
        two columns' arithmetic (the same float32 numbers)."""
        if self._xy32 is None:
            self._xy32 = (self.cell_xy[:, 0].astype(np.float32), self.cell_xy[:, 1].astype(np.float32))
        x, y = self._xy32
        dx, dy = x[cells_a] - x[cells_b], y[cells_a] - y[cells_b]
        return np.sqrt(dx * dx + dy * dy) * np.float32(self.cell_km)

    def nearest_sites(self, sites: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For every cell, the ``k`` nearest of ``sites`` (flat cell ids): their positions in
        ``sites`` and their km, both (n_cells, k), nearest first (ties: the earlier site).

        Schools do not move, so the table is kept per set of sites: building it costs
        cells x sites, which would grow with the square of the city's size if paid per use."""
        key = (sites.tobytes(), k)
        if key not in self._nearest:
            km = self.km_matrix(np.arange(self.n_cells), sites)
            rank = np.argsort(km, axis=1, kind="stable")[:, :k]
            self._nearest[key] = rank, np.take_along_axis(km, rank, axis=1)
        return self._nearest[key]

    def distance_decay(self, cells_a: np.ndarray, cells_b: np.ndarray, decay_km: float) -> np.ndarray:
        """(len(a), len(b)) weights ``exp(-km / decay_km)`` between two sets of sites.

        Schools and firms do not move, so the table is kept per pair of site sets and decay:
        rebuilding it for every search round would cost schools x firms each time, which grows
        with the square of the city's size."""
        key = (cells_a.tobytes(), cells_b.tobytes(), float(decay_km))
        if key not in self._decay:
            self._decay[key] = np.exp(-self.km_matrix(cells_a, cells_b) / decay_km)
        return self._decay[key]

    def km_matrix(self, cells_a: np.ndarray, cells_b: np.ndarray) -> np.ndarray:
        """(len(a), len(b)) distance matrix in km."""
        a, b = np.asarray(cells_a), np.asarray(cells_b)
        return self.km(a[:, None], b[None, :])

    def sample_cells(self, rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
        """``n`` flat cell ids drawn with probability proportional to ``weights``."""
        cdf = np.cumsum(weights, dtype=np.float64)
        return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").astype(np.int32)

    def sample_near(
        self, rng: np.random.Generator, n: int, centre: np.ndarray, sigma: float
    ) -> np.ndarray:
        """``n`` cells scattered around ``centre`` (cell units) with a Gaussian of ``sigma``."""
        w, h = self.grid.dimensions
        xy = centre[None, :] + rng.normal(0.0, sigma, size=(n, 2))
        x = np.clip(np.rint(xy[:, 0]), 0, w - 1).astype(np.int32)
        y = np.clip(np.rint(xy[:, 1]), 0, h - 1).astype(np.int32)
        return x * h + y


def new_grid(p: CityParams, random) -> OrthogonalMooreGrid:
    return OrthogonalMooreGrid((p.width_cells, p.height_cells), torus=False, random=random,
                               cell_klass=CityCell)


def build_city(p: CityParams, rng: np.random.Generator, random) -> City:
    """Lay out districts, density and parks from the ``[city]`` parameters."""
    w, h = p.width_cells, p.height_cells
    grid = new_grid(p, random)
    xs, ys = np.meshgrid(np.arange(w), np.arange(h), indexing="ij")
    cell_xy = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.int32)

    core = np.array([(w - 1) / 2, (h - 1) / 2])
    jitter = p.county_jitter
    angles = 2 * np.pi * (np.arange(p.n_counties) + rng.uniform(-jitter, jitter, p.n_counties)) / max(
        p.n_counties, 1
    )
    radius = p.county_ring_cells * rng.uniform(1 - jitter, 1 + jitter, p.n_counties)
    counties = core + np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius[:, None]
    centres = np.vstack([core[None, :], counties])

    # Density: one Gaussian per district plus a rural floor; county sizes vary.
    sigmas = np.r_[p.core_sigma_cells, np.full(p.n_counties, p.county_sigma_cells)]
    county_weights = (rng.dirichlet(np.full(p.n_counties, p.county_size_concentration))
                      if p.n_counties else np.zeros(0))
    shares = np.r_[p.core_share, (1 - p.core_share - p.rural_share) * county_weights]
    population, district = density_map(cell_xy, centres, sigmas, shares, p.rural_share)

    parks, park_district = draw_parks(p, centres, rng)
    names = ["urban core"] + [f"county {k}" for k in range(1, p.n_counties + 1)]
    return make_city(p, grid, population, district, centres, parks, park_district, names)


def density_map(cell_xy: np.ndarray, centres: np.ndarray, sigmas: np.ndarray, shares: np.ndarray,
                rural_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Residents per cell (one Gaussian of ``sigmas`` per district holding ``shares``, plus a
    uniform ``rural_share``) and each cell's district (the nearest centre in sigma units)."""
    d2 = ((cell_xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    kernels = np.exp(-d2 / (2 * sigmas**2))
    kernels /= kernels.sum(axis=0, keepdims=True)
    population = kernels @ shares + rural_share / len(cell_xy)
    district = np.argmin(d2 / sigmas**2, axis=1).astype(np.int32)
    return population, district


def draw_parks(p: CityParams, centres: np.ndarray, rng: np.random.Generator):
    """Parks around the core at even angles, then at the first county seats (cell units), and
    the district of each."""
    core, counties = centres[0], centres[1:]
    n_counties = len(counties)
    park_angles = 2 * np.pi * (np.arange(p.n_parks_core) + 0.5) / p.n_parks_core
    core_parks = core + p.park_offset_cells * np.stack(
        [np.cos(park_angles), np.sin(park_angles)], axis=1
    )
    parks = [core_parks]
    park_district = [np.zeros(p.n_parks_core, dtype=np.int32)]
    if n_counties and p.n_parks_county:
        which = np.arange(p.n_parks_county) % n_counties
        offset = rng.normal(0, 1, size=(p.n_parks_county, 2))
        offset *= p.park_offset_cells / 2 / np.maximum(np.linalg.norm(offset, axis=1), 1e-9)[:, None]
        parks.append(counties[which] + offset)
        park_district.append((which + 1).astype(np.int32))
    parks_xy = np.clip(np.vstack(parks), 0, [p.width_cells - 1, p.height_cells - 1])
    return parks_xy, np.concatenate(park_district)


def make_city(p: CityParams, grid, population: np.ndarray, district: np.ndarray,
              centres: np.ndarray, parks: np.ndarray, park_district: np.ndarray,
              names: list[str]) -> City:
    """The ``City`` of a drawn or a loaded layout, with its maps as Mesa property layers."""
    w, h = p.width_cells, p.height_cells
    xs, ys = np.meshgrid(np.arange(w), np.arange(h), indexing="ij")
    city = City(
        grid=grid,
        cell_xy=np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.int32),
        population=population,
        district=district,
        centres=centres,
        parks=parks,
        park_district=park_district,
        cell_km=p.cell_km,
        district_names=list(names),
    )
    # Expose the maps as Mesa property layers so Mesa's tools (and the dashboard) can draw them.
    layer = grid.create_property_layer("population", default_value=0.0, dtype=float)
    layer.data[:] = population.reshape(w, h)
    layer = grid.create_property_layer("district", default_value=0, dtype=int)
    layer.data[:] = district.reshape(w, h)
    return city
