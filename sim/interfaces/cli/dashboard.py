"""``skills-sim dashboard``: serve the SolaraViz page (app.py) on this machine."""

from __future__ import annotations

import sys

from sim.params import BASELINE_PATH, PACKAGE_ROOT, ParamError


def command(args) -> int:
    """Serve the SolaraViz dashboard (app.py) on this machine; needs the viz extra."""
    import importlib.util
    import os
    import subprocess

    missing = [m for m in ("solara", "altair") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"skills-sim dashboard: error: {', '.join(missing)} not installed; install the "
              "dashboard extra: python3 -m pip install -e '.[viz]'", file=sys.stderr)
        return 2
    folder = BASELINE_PATH.parent / "scenarios"
    scenarios = ["baseline", *sorted(p.stem for p in folder.glob("*.toml"))]
    if args.scenario not in scenarios:
        raise ParamError("--scenario", "scenario", args.scenario,
                         f"expected one of {', '.join(scenarios)}")
    app = PACKAGE_ROOT / "app.py"
    target = str(app) if app.exists() else "sim.interfaces.dashboard"  # a non-editable install has no app.py
    env = dict(os.environ, SKILLS_SIM_DASHBOARD_PERSONS_PER_AGENT=str(args.persons_per_agent),
               SKILLS_SIM_DASHBOARD_SCENARIO=args.scenario)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # a local tool: no usage reports
    command = [sys.executable, "-m", "solara", "run", target, "--host", args.host,
               "--port", str(args.port), "--open" if args.open else "--no-open"]
    print(f"skills-sim dashboard: serving http://{args.host}:{args.port} (Ctrl-C stops)",
          file=sys.stderr)
    return subprocess.call(command, env=env)
