"""The plan's programmes, each a small object that acts on the model (as Starsim's interventions).

A programme has its levers (its section of the parameter file), its budget line, a launch
month before which it does nothing, and a ``schedule()`` saying which of its methods run in
which month (``None`` = every month). The calendar merges these schedules with the city's own
processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.model import SkillsModel
    from sim.model.programmes.apprenticeship import Apprenticeship
    from sim.model.programmes.joint_meeting import JointMeeting
    from sim.model.programmes.major_guidance import MajorGuidance
    from sim.model.programmes.order_classes import OrderClasses
    from sim.model.programmes.platform import InformationPlatform
    from sim.model.programmes.retention import RetentionMeasures

Schedule = list[tuple[int | None, str, Callable[[object], None]]]


class Programme:
    """Base class: ``levers`` is the programme's parameter section (with enabled/launch)."""

    name = "programme"
    budget_line: str | None = None

    def __init__(self, model: SkillsModel, levers):
        self.model = model
        self.levers = levers

    @property
    def active(self) -> bool:
        """True from the launch month on, if the programme is enabled."""
        return self.model.launched(self.levers)

    @property
    def rng(self):
        """This programme's own random stream (see ``SkillsModel.rng_for``)."""
        return self.model.rng_for(self.name)

    def schedule(self) -> Schedule:
        return []

    def setup(self) -> None:
        """Called once after the city is built (for what exists at the start)."""

    def execution(self) -> float:
        """Share of decided actions carried out (raised by the joint meeting)."""
        return self.model.programmes.joint_meeting.execution()

    def partner_students(self, firm: int, by_major, eligible: np.ndarray):
        """A partner school for ``firm`` that teaches the firm's sector, and its students of
        that major still ``eligible`` (``by_major``: a ``RowsBySchoolGroup`` of candidates).
        Returns (school, rows), or (-1, no rows) if no school teaches the sector."""
        model = self.model
        group = int(model.enterprises.sector[firm])
        school = model.partnerships.choose_school(model, firm, group, self.rng)
        if school < 0:
            return school, np.empty(0, dtype=np.int64)
        pool = by_major.get(school, group)
        return school, pool[eligible[pool]]


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


class Programmes(dict[str, Programme]):
    """The model's programmes by name, with typed access to those the city's processes read
    (``model.programmes.platform.signal_settings()``, ``.retention.local_job_bonus(...)``)."""

    @property
    def platform(self) -> InformationPlatform:
        return self["platform"]

    @property
    def retention(self) -> RetentionMeasures:
        return self["retention"]

    @property
    def joint_meeting(self) -> JointMeeting:
        return self["joint_meeting"]

    @property
    def major_guidance(self) -> MajorGuidance:
        return self["major_guidance"]

    @property
    def order_classes(self) -> OrderClasses:
        return self["order_classes"]

    @property
    def apprenticeship(self) -> Apprenticeship:
        return self["apprenticeship"]


def build_programmes(model: SkillsModel) -> Programmes:
    from sim.model.programmes.apprenticeship import Apprenticeship
    from sim.model.programmes.certificates import Certificates
    from sim.model.programmes.combos import DemonstrationCombos
    from sim.model.programmes.groups import EducationGroups
    from sim.model.programmes.joint_meeting import JointMeeting
    from sim.model.programmes.major_guidance import MajorGuidance
    from sim.model.programmes.order_classes import OrderClasses
    from sim.model.programmes.platform import InformationPlatform
    from sim.model.programmes.retention import RetentionMeasures
    from sim.model.programmes.social_training import SocialTraining
    from sim.model.programmes.training_bases import TrainingBases

    p = model.p
    programmes = [
        JointMeeting(model, p.joint_meeting),
        MajorGuidance(model, p.major_guidance),
        InformationPlatform(model, p.platform),
        EducationGroups(model, p.groups),
        OrderClasses(model, p.order_classes),
        Apprenticeship(model, p.apprenticeship),
        TrainingBases(model, p.training_bases),
        Certificates(model, p.certificates),
        DemonstrationCombos(model, p.combos),
        SocialTraining(model, p.social_training),
        RetentionMeasures(model, p.retention),
    ]
    return Programmes((prog.name, prog) for prog in programmes)
