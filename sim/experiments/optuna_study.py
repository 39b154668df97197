"""The one Optuna helper of calibrate and optimize: the study stored in ``out/study.db``, its
finished trials, and the reseeded TPE sampler."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from sim.params import MISSING, ParamError, dist_version


def open_study(out: Path, digest: str, study_name: str):
    """The Optuna study ``study_name`` in ``out/study.db``.

    Refuses a study made for another definition; a trial cut off by a kill (left RUNNING) is
    marked failed, so it is redone."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / 'study.db').resolve()}")
    study = optuna.create_study(storage=storage, study_name=study_name, direction="minimize",
                                load_if_exists=True)
    recorded = study.user_attrs.get("spec_sha256")
    if recorded is None:
        study.set_user_attr("spec_sha256", digest)
    elif recorded != digest:
        raise ParamError(str(out / "study.db"), "<file>", MISSING,
                         "the study was made for a different definition than spec.json records; "
                         "use a new --out")
    # A trial left RUNNING was interrupted by a kill: mark it failed; it is redone.
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
    return study


def complete_trials(study) -> list:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def tpe_sampler(seed: int, n_startup_trials: int, constraints_func=None):
    """A multivariate TPE sampler (reseeded before each trial by the caller)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials,
                                          multivariate=True, constraints_func=constraints_func)


def json_float(x: float) -> float | None:
    """A float JSON can hold (None for nan and inf)."""
    return None if x is None or not math.isfinite(x) else float(x)


def optuna_version() -> str:
    return dist_version("optuna") or "unknown"
