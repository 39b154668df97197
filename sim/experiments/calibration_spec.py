"""A calibration folder's definition (``spec.json``): what it records, its hash, and the refusal of
a folder made for another definition (with what differs)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


from sim.params import MISSING, ParamError, Params, flatten
from sim.experiments.folders import canonical_json


def spec_definition(rows, fits, seeds: int, master_seed: int, base: Params) -> dict[str, Any]:
    """What the study's scores depend on; a folder only resumes the same definition."""
    return {
        "observed": [r.definition() for r in rows],
        "fit": {f.key: f.definition() for f in fits},
        "seeds": seeds,
        "master_seed": master_seed,
        "parameters": base.to_dict(),
    }


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(spec).encode()).hexdigest()


def spec_differences(old: dict, new: dict) -> list[str]:
    """Readable list of what differs between a folder's spec and this command's."""
    changes = []
    old_rows = {(r["indicator"], r["year"]): r for r in old.get("observed", [])}
    new_rows = {(r["indicator"], r["year"]): r for r in new["observed"]}
    for k in [*old_rows, *(k for k in new_rows if k not in old_rows)]:
        a, b = old_rows.get(k), new_rows.get(k)
        label = f"{k[0]} ({'all years' if k[1] is None else k[1]})"
        if a is None:
            changes.append(f"observed row {label} added")
        elif b is None:
            changes.append(f"observed row {label} removed")
        elif canonical_json(a) != canonical_json(b):
            changes.append(f"observed {label}: value {a['value']} ± {a['tolerance']} -> "
                           f"{b['value']} ± {b['tolerance']}")
    old_fit, new_fit = old.get("fit", {}), new["fit"]
    for k in [*old_fit, *(k for k in new_fit if k not in old_fit)]:
        if canonical_json(old_fit.get(k)) != canonical_json(new_fit.get(k)):
            was = f"{old_fit[k]['low']}:{old_fit[k]['high']}" if k in old_fit else "<none>"
            now = f"{new_fit[k]['low']}:{new_fit[k]['high']}" if k in new_fit else "<none>"
            changes.append(f"--fit {k}: {was} -> {now}")
    for key, option in (("seeds", "--seeds"), ("master_seed", "--seed")):
        if old.get(key) != new[key]:
            changes.append(f"{option}: {old.get(key)} -> {new[key]}")
    fo, fn = flatten(old.get("parameters", {})), flatten(new["parameters"])
    diff = [f"{k}: {fo.get(k, '<none>')!r} -> {fn.get(k, '<none>')!r}"
            for k in sorted(set(fo) | set(fn)) if canonical_json(fo.get(k)) != canonical_json(fn.get(k))]
    if diff:
        changes.append("parameters " + ", ".join(diff[:5]) + (" ..." if len(diff) > 5 else ""))
    if not changes and canonical_json(old) != canonical_json(new):
        changes.append("the definition differs")
    return changes


def check_folder(out: Path, spec: dict[str, Any]) -> bool:
    """True if ``out`` holds this calibration already; refuse a different one or a foreign
    folder (before anything is written)."""
    from sim.experiments.folders import recorded_study

    # Unlike sweeps, a folder holding only a lock file is refused too (spare=()).
    old = recorded_study(out, "spec.json", "spec", "a calibration", "calibration to resume it",
                         spare=())
    if old is not None:
        changes = spec_differences(old, spec)
        if changes:
            raise ParamError(
                str(out), "<file>", MISSING,
                f"holds a calibration with a different definition, so it cannot be resumed "
                f"with this command ({'; '.join(changes)}). Use a new --out, or the observed "
                f"file, --fit ranges, --seeds, --seed and parameters it was started with "
                f"(recorded in {out / 'spec.json'}).")
        return True
    return False
