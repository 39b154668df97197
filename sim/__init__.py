"""skills-sim: an agent-based forecast of a city's industry-education integration plan."""

from sim.model.model import SkillsModel
from sim.params import ParamError, Params, dist_version, load_params

# "0+unknown": running from a source tree that is not installed
__version__ = dist_version("skills-sim") or "0+unknown"

__all__ = ["SkillsModel", "load_params", "Params", "ParamError", "__version__"]
