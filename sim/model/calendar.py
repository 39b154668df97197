"""The academic and fiscal calendar: which processes run in which month, in which order.

One step is one month. In the baseline calendar (months come from the parameter file):

    January      (first) new fiscal year: budget lines, sector shocks, schools' adjustment budgets
    every month  employment dynamics -> drop-out -> platform -> education groups (at launch)
                 -> apprenticeship progress -> training-base construction -> social training
    March        enterprises post graduate vacancies, sponsors reserve posts for order-class
                 graduates -> schools adjust majors -> training-base agreements
    April        1+X pilot majors approved
    May          1+X exams for final-year students in pilot majors
    June         final-year students graduate -> job search (rounds of applications)
    July         job search; the season closes: unfilled vacancies counted, outcomes booked
    August       admission: higher-vocational colleges, then secondary schools
    September    term starts: continuing students move up a year -> apprenticeship intake
    October      order classes formed
    December     demonstration combos certified -> idle partnerships reviewed

``Calendar.describe()`` prints the table for the parameters in force, so "what happens in
June" has one answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.model import enrollment, labour_demand, labour_market, major_adjustment, study
from sim.params import Params

if TYPE_CHECKING:
    from sim.model.model import SkillsModel
    from sim.model.programmes import Programmes

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

    opening: dict[int, list[tuple[str, Process]]] = field(default_factory=dict)

    def processes(self, month: int) -> list[tuple[str, Process]]:
        """Processes of ``month`` in the order they run: the month's opening events (the new
        fiscal year), the monthly ones, then the month's other events."""
        return self.opening.get(month, []) + self.every_month + self.by_month.get(month, [])

    def describe(self) -> str:
        lines = [f"month {m:2d} first: " + ", ".join(n for n, _ in procs)
                 for m, procs in sorted(self.opening.items())]
        lines.append("every month: " + ", ".join(n for n, _ in self.every_month))
        for m in sorted(self.by_month):
            lines.append(f"month {m:2d}: " + ", ".join(n for n, _ in self.by_month[m]))
        return "\n".join(lines)


def new_fiscal_year(model: SkillsModel) -> None:
    if model.month_index > 0:  # the first year's budget is set up with the model
        model.budget.new_year(model.year)
    labour_demand.new_year_shocks(model)
    model.schools.budget_yuan[:] = model.p.schools.adjustment_budget_yuan


def build_calendar(p: Params, programmes: Programmes) -> Calendar:
    cal = Calendar(every_month=[
        ("employment dynamics", labour_demand.employment_dynamics),
        ("drop-out", study.dropout),
    ])
    # The fiscal year opens January, before any monthly spending: last year's leftovers lapse.
    cal.opening[FISCAL_YEAR_MONTH] = [("new fiscal year", new_fiscal_year)]
    search = p.labour_market.search_months
    adjust = p.major_adjustment.month
    # Vacancies are posted in the adjustment month (or before search starts, if earlier).
    post_month = min(adjust, search[0])
    cal.add(post_month, "post vacancies", labour_demand.post_vacancies)
    cal.add(post_month, "sponsors reserve posts", programmes.order_classes.reserve_posts)
    cal.add(adjust, "major adjustment", major_adjustment.adjust_majors)
    cal.add(search[0], "graduation", study.graduation)
    for m in search:
        cal.add(m, "job search", labour_market.job_search)
    cal.add(ADMISSION_MONTH, "admission (higher)", enrollment.admit_higher)
    cal.add(ADMISSION_MONTH, "admission (secondary)", enrollment.admit_secondary)
    cal.add(TERM_START_MONTH, "term starts", study.new_term)
    # The plan's programmes, in the months they act (each does nothing before its launch).
    for programme in programmes.values():
        for month, name, process in programme.schedule():
            if month is None:
                cal.every_month.append((name, process))
            else:
                cal.add(month, name, process)
    return cal
