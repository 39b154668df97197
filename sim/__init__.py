"""skills-sim: an agent-based forecast of a city's industry-education integration plan.

``sim.forecast(...)`` runs the Monte Carlo forecast from Python and returns its tables, figures
and report (:mod:`sim.interfaces.notebook`); ``sim.SkillsModel(params, seed).run()`` is one run
(the model of :mod:`sim.model.model`, with ``.plot()`` for a notebook).

The names below are imported on first use, so ``import sim`` (and so the command line's
start) costs nothing until a name is needed, and a Ctrl-C while the command line starts is
handled by it rather than ending in an import traceback.
"""

from importlib import import_module

_LAZY = {"SkillsModel": "sim.interfaces.notebook", "load_params": "sim.params", "Params": "sim.params",
         "ParamError": "sim.params", "forecast": "sim.interfaces.notebook",
         "ForecastResult": "sim.interfaces.notebook"}

__all__ = ["SkillsModel", "load_params", "Params", "ParamError", "forecast", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name == "__version__":
        from sim.params import dist_version

        # "0+unknown": running from a source tree that is not installed
        return dist_version("skills-sim") or "0+unknown"
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
