"""Parameter files: schema, loading, validation and ``--set`` overrides (the bottom layer).

Everything here imports nothing else from ``sim``. See :mod:`sim.params.base` (paths,
:class:`ParamError`, :data:`MISSING`, :class:`StrictModel`), :mod:`sim.params.keys` (dotted keys,
overrides), :mod:`sim.params.schema` (the sections and :class:`Params`) and
:mod:`sim.params.loading` (files and ``base`` chains).
"""

from sim.params.base import (BASELINE_PATH, DEFAULT_MASTER_SEED, MISSING, PACKAGE_ROOT,
                             SHARE_TOLERANCE, YEAR_MONTH, ParamError, Share, StrictModel,
                             dist_version)
from sim.params.keys import (apply_overrides, dotted_keys, flatten, lookup, parse_set_options,
                             parse_value, pydantic_error)
from sim.params.describe import parameter_descriptions
from sim.params.loading import load_params, read_input_text, read_toml, spinup_key, spinup_params
from sim.params.levers import (LEVER_SECTIONS, Launch, Budget, Partnerships, OrderClasses, Apprenticeship, Certificates, TrainingBases, Combos, SocialTraining, Groups, Platform, Retention, MajorGuidance, JointMeeting)
from sim.params.schema import (Run, Targets, City, Demography, Students, SchoolChoice, Schools, MajorAdjustment, Enterprises, Sector, LabourMarket)
from sim.params.schema import Params, check_keys, known_keys, validate

__all__ = ["BASELINE_PATH", "DEFAULT_MASTER_SEED", "MISSING", "PACKAGE_ROOT", "SHARE_TOLERANCE",
           "YEAR_MONTH", "ParamError", "Share", "StrictModel", "dist_version", "apply_overrides", "dotted_keys", "flatten",
           "lookup", "parse_set_options", "parse_value", "pydantic_error", "load_params", "spinup_key", "spinup_params",
           "parameter_descriptions", "read_toml", "read_input_text", "Params", "check_keys",
           "known_keys", "validate",
           "LEVER_SECTIONS", "Launch", "Budget", "Partnerships", "OrderClasses", "Apprenticeship", "Certificates", "TrainingBases", "Combos", "SocialTraining", "Groups", "Platform", "Retention", "MajorGuidance", "JointMeeting", "Run", "Targets", "City", "Demography", "Students", "SchoolChoice", "Schools", "MajorAdjustment", "Enterprises", "Sector", "LabourMarket"]
