"""``skills-sim check FILE``: validate a parameter, sweep, sensitivity or optimize file."""

from __future__ import annotations

from pathlib import Path

from sim.params import load_params, parse_set_options, read_toml


def command(args) -> int:
    path = Path(args.params)
    raw = read_toml(path)
    if "sweep" in raw:
        from sim.experiments.sweep_file import load_sweep  # noqa: PLC0415 - only sweep files need it

        sweep = load_sweep(path)
        print(f"{path}: OK (sweep of {sweep.n_points} points x {sweep.replicates} replicates)")
        return 0
    if "sensitivity" in raw:
        from sim.experiments.sensitivity import load_sensitivity

        sens = load_sensitivity(path)
        print(f"{path}: OK ({sens.spec.method} sensitivity of {len(sens.factors)} factors: "
              f"{sens.sweep.n_points} points x {sens.spec.replicates} replicates)")
        return 0
    if "optimize" in raw:
        from sim.experiments.optimize_file import load_optimize

        opt = load_optimize(path)
        print(f"{path}: OK (optimisation of {len(opt.levers)} levers: {opt.spec.trials} trials x "
              f"{opt.spec.replicates} replicates)")
        return 0
    from sim.experiments.ranges import parse_uncertain

    params = load_params(path, parse_set_options(getattr(args, "set", None)))
    ranged = parse_uncertain(params, str(path))
    print(f"{path}: OK ({params.run.years} years from {params.run.start_year}, "
          f"{len(params.sectors)} sectors, {params.run.persons_per_agent} person(s) per agent, "
          f"{len(ranged)} uncertain assumption(s))")
    from sim.interfaces.cli.common import city_folders

    for folder in city_folders({"city": params}).values():
        print(f"city folder {folder['folder']}: OK")
        for line in folder["filled_by_generator"]:
            print(f"  filled by the generator: {line}")
    return 0
