"""The academic and fiscal calendar: which processes run in which month, in which order.

One step is one month. In the baseline calendar (months come from the parameter file):

    every month  employment dynamics -> drop-out
    January      new fiscal year: sector shocks, schools' adjustment budgets
    March        enterprises post graduate vacancies -> schools adjust majors for the autumn
    June         final-year students graduate -> job search (rounds of applications)
    July         job search; the season closes: unfilled vacancies counted, outcomes booked
    August       admission: higher-vocational colleges, then secondary schools
    September    term starts: continuing students move up a year

``Calendar.describe()`` prints the table for the parameters in force, so "what happens in
June" has one answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import enrollment, labour_demand, labour_market, major_adjustment, study
from .params import Params

Process = Callable[[object], None]

ADMISSION_MONTH = 8
TERM_START_MONTH = 9
FISCAL_YEAR_MONTH = 1


@dataclass
class Calendar:
    every_month: list[tuple[str, Process]] = field(default_factory=list)
    by_month: dict[int, list[tuple[str, Process]]] = field(default_factory=dict)

    def add(self, month: int, name: str, process: Process) -> None:
        self.by_month.setdefault(month, []).append((name, process))

    def processes(self, month: int) -> list[tuple[str, Process]]:
        """Processes of ``month`` in the order they run (calendar events after the monthly ones)."""
        return self.every_month + self.by_month.get(month, [])

    def describe(self) -> str:
        lines = ["every month: " + ", ".join(n for n, _ in self.every_month)]
        for m in sorted(self.by_month):
            lines.append(f"month {m:2d}: " + ", ".join(n for n, _ in self.by_month[m]))
        return "\n".join(lines)


def new_fiscal_year(model) -> None:
    labour_demand.new_year_shocks(model)
    model.schools.budget_yuan[:] = model.p.schools.adjustment_budget_yuan


def build_calendar(p: Params) -> Calendar:
    cal = Calendar(every_month=[
        ("employment dynamics", labour_demand.employment_dynamics),
        ("drop-out", study.dropout),
    ])
    cal.add(FISCAL_YEAR_MONTH, "new fiscal year", new_fiscal_year)
    search = p.labour_market.search_months
    adjust = p.major_adjustment.month
    # Vacancies are posted in the adjustment month (or before search starts, if earlier).
    post_month = min(adjust, search[0])
    cal.add(post_month, "post vacancies", labour_demand.post_vacancies)
    cal.add(adjust, "major adjustment", major_adjustment.adjust_majors)
    cal.add(search[0], "graduation", study.graduation)
    for m in search:
        cal.add(m, "job search", labour_market.job_search)
    cal.add(ADMISSION_MONTH, "admission (higher)", enrollment.admit_higher)
    cal.add(ADMISSION_MONTH, "admission (secondary)", enrollment.admit_secondary)
    cal.add(TERM_START_MONTH, "term starts", study.new_term)
    return cal
