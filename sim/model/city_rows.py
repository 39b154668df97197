"""The rows of a city folder's CSV files (docs/CITY_DATA.md), one pydantic model per file.

Values arrive as text and are parsed in pydantic's lax mode ("3.5" -> 3.5, "true" -> True);
unknown columns, infinities and NaN are refused. :mod:`sim.model.city_data` reads the files
with these models and checks what spans rows (names, references, the grid).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHOOL_KINDS = ("secondary", "technician", "higher")


class Row(BaseModel):
    """A CSV row: values arrive as text and are parsed (lax mode); unknown columns refused.
    ``YEARLY`` names a column that may also come once per calendar year (``NAME_2024``...);
    those values arrive in ``yearly`` keyed by year."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    YEARLY: ClassVar[str | None] = None


class DistrictRow(Row):
    district: str = Field(min_length=1)
    kind: Literal["urban core", "county"]
    population: float = Field(gt=0)                       # persons
    junior_high_graduates: float | None = Field(default=None, ge=0)  # persons/year, plan year
    x: float | None = None                                # centre, cell units
    y: float | None = None
    sigma_cells: float | None = Field(default=None, gt=0)  # spread of the density, cells
    yearly: dict[int, Annotated[float, Field(ge=0)]] = {}  # junior_high_graduates_YYYY: persons
    YEARLY: ClassVar[str | None] = "junior_high_graduates"


class CellRow(Row):
    x: int
    y: int
    district: str = Field(min_length=1)
    population: float = Field(ge=0)                       # residents (any unit: only shares matter)


class ParkRow(Row):
    park: str = Field(min_length=1)
    district: str = Field(min_length=1)
    x: float
    y: float


class SchoolRow(Row):
    school: str = Field(min_length=1)
    kind: Literal["secondary", "technician", "higher"]
    district: str = Field(min_length=1)
    major_group: str = Field(min_length=1)
    seats: Decimal = Field(ge=0)                          # persons/year planned intake (exact)
    four_star: bool | None = None
    x: int | None = None
    y: int | None = None
    reputation: float | None = None                       # sd units
    capacity: Decimal | None = Field(default=None, gt=0)  # persons/year, whole school (exact)


class EnterpriseRow(Row):
    sector: str = Field(min_length=1)
    employees: float = Field(gt=0)                        # persons (per firm on a count row)
    district: str = Field(min_length=1)
    enterprise: str | None = None
    count: int = Field(default=1, ge=1)                   # firms this row stands for
    x: int | None = None
    y: int | None = None
    park: str | None = None
    leading: bool | None = None
    chain: int | None = Field(default=None, ge=-1)        # key industry chain within the sector, -1 none
    wage_index: float | None = Field(default=None, gt=0)
    propensity: float | None = Field(default=None, ge=0, le=1)


class SectorMapRow(Row):
    code: str = Field(min_length=1)
    sector: str = Field(min_length=1)
