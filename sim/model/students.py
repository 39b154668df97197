"""Students' state, stored column-wise.

One row per person who ever entered a vocational school in the simulation (rows are never
deleted, so every entrant stays accounted for). Processes act on whole columns with masks and
index arrays; the Mesa ``Student`` agent is a thin view onto one row.

``state`` holds exactly one of the ``State`` values at any time. A graduate's destination is
their final state; a secondary graduate admitted to a local higher-vocational college becomes
``ENROLLED`` again on the higher track (same row, same person).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

SECONDARY, HIGHER = 0, 1
TRACKS = ("secondary", "higher")


class State(IntEnum):
    ENROLLED = 0          # studying (any year of a programme)
    DROPPED_OUT = 1       # left a programme before graduating
    SEARCHING = 2         # graduated this season, still choosing a destination
    LOCAL_MATCHED = 3     # employed in the city in a job of their major group
    LOCAL_UNMATCHED = 4   # employed in the city in a job of another group
    OUTSIDE = 5           # employed outside the city
    FURTHER_STUDY = 6     # went on to further study (outside, or awaiting local admission)
    NOT_EMPLOYED = 7      # neither employed nor studying at the end of the season


DESTINATIONS = {
    State.LOCAL_MATCHED: "local_matched",
    State.LOCAL_UNMATCHED: "local_unmatched",
    State.OUTSIDE: "outside",
    State.FURTHER_STUDY: "further_study",
    State.NOT_EMPLOYED: "not_employed",
}

# Column name -> (dtype, fill value for a new row). Declared once, as Starsim does.
COLUMNS: dict[str, tuple[type, float]] = {
    "home": (np.int32, -1),            # flat cell id of the family home
    "ability": (np.float32, 0.0),      # latent ability, sd units
    "attachment": (np.float32, 0.0),   # hometown attachment in [0, 1]
    "interest_own": (np.float32, 0.0), # interest share in the major group studied
    "track": (np.int8, SECONDARY),
    "school": (np.int16, -1),
    "group": (np.int8, -1),            # major group = index of the sector it serves
    "year": (np.int8, 0),              # year of study, 1..programme_years
    "state": (np.int8, State.ENROLLED),
    "entry_year": (np.int16, 0),       # calendar year of admission to the current track
    "grad_year": (np.int16, -1),       # calendar year of the last graduation
    "was_secondary": (np.bool_, False),# a secondary graduate now on the higher track
    "employer": (np.int32, -1),        # enterprise index once employed locally
    "moved": (np.bool_, False),        # left the family home to live near a local job
    "sponsor": (np.int32, -1),         # enterprise sponsoring the student's order class
    "apprentice_firm": (np.int32, -1), # enterprise hosting the student as a modern apprentice
    "certificate": (np.bool_, False),  # holds a "1+X" vocational skills certificate
    "dropout_hazard": (np.float64, np.nan),  # monthly drop-out probability on the current track
}


def count_pairs(school: np.ndarray, group: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(S, G) float counts of (school, group) pairs: ``np.add.at`` on zeros, at a fraction of
    its cost for the tens of thousands of students a summer books."""
    n_schools, n_groups = shape
    flat = school.astype(np.int64) * n_groups + group
    return np.bincount(flat, minlength=n_schools * n_groups).reshape(shape).astype(np.float64)


class RowsBySchoolGroup:
    """Rows of a boolean mask grouped by (school, major group), for lookups in O(group size).

    Programmes that pick students at one school and major (order classes, apprenticeship) ask
    for many such groups in turn; scanning every student for each would cost O(students) per
    request. Rows keep their ascending order within a group."""

    def __init__(self, students: "StudentArrays", mask: np.ndarray, n_groups: int):
        rows = np.flatnonzero(mask)
        key = students.school[rows].astype(np.int64) * n_groups + students.group[rows]
        order = np.argsort(key, kind="stable")
        self.rows, self._g = rows[order], n_groups
        # Where each key's block starts (as Python ints): a lookup is two list reads, not a
        # search through a fresh array (thousands of lookups a year).
        key = key[order]
        self._start = np.searchsorted(key, np.arange(int(key[-1]) + 2 if key.size else 1)).tolist()

    def get(self, school: int, group: int) -> np.ndarray:
        k = school * self._g + group
        if not 0 <= k < len(self._start) - 1:  # no such student: an empty block
            return self.rows[:0]
        return self.rows[self._start[k]:self._start[k + 1]]


class StudentArrays:
    """Growable column store; ``n`` rows are live, capacity doubles as needed."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cap = max(int(capacity), 16)
        for name, (dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full(self._cap, fill, dtype=dtype))

    def __len__(self) -> int:
        return self.n

    def append(self, count: int, **values) -> np.ndarray:
        """Add ``count`` rows with the given column values; returns their indices."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown student columns: {sorted(unknown)}")
        need = self.n + count
        if need > self._cap:
            new_cap = max(need, 2 * self._cap)
            for name, (dtype, fill) in COLUMNS.items():
                col = np.full(new_cap, fill, dtype=dtype)
                col[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, col)
            self._cap = new_cap
        idx = np.arange(self.n, need)
        for name, value in values.items():
            getattr(self, name)[self.n : need] = value
        self.n = need
        return idx

    def view(self, name: str) -> np.ndarray:
        """The live part of a column (a view, not a copy)."""
        return getattr(self, name)[: self.n]

    def count_states(self) -> np.ndarray:
        """Persons in each ``State`` (length ``len(State)``)."""
        return np.bincount(self.view("state"), minlength=len(State))
