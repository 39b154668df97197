"""skills-sim: an agent-based forecast of a city's industry-education integration plan."""

from importlib.metadata import PackageNotFoundError, version

from .model import SkillsModel
from .params import ParamError, Params, load_params

try:
    __version__ = version("skills-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["SkillsModel", "load_params", "Params", "ParamError", "__version__"]
