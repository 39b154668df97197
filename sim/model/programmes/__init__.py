"""The plan's programmes, each a small object that acts on the model (as Starsim's interventions).

A programme has its levers (its section of the parameter file), its budget line, a launch
month before which it does nothing, and a ``schedule()`` saying which of its methods run in
which month (``None`` = every month). The calendar merges these schedules with the city's own
processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.programmes.apprenticeship import Apprenticeship
from sim.model.programmes.base import Programme, Schedule, logistic
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

if TYPE_CHECKING:
    from sim.model.model import SkillsModel


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


__all__ = ["Programme", "Programmes", "Schedule", "build_programmes", "logistic"]
