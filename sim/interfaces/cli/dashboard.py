"""``skills-sim dashboard``: serve the dashboard page (app.py) on this machine."""

from __future__ import annotations

import site
import sys
import tempfile
from pathlib import Path

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
    target = str(app) if app.exists() else "sim.interfaces.dashboard.page"  # a non-editable install has no app.py
    env = dict(os.environ, SKILLS_SIM_DASHBOARD_PERSONS_PER_AGENT=str(args.persons_per_agent),
               SKILLS_SIM_DASHBOARD_SCENARIO=args.scenario)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # a local tool: no usage reports
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # A session whose page is gone (tab closed without saying so) is dropped after this long,
    # and its model with it; Play already stops as soon as no page is connected.
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "2m")
    # --production: no hot reload or developer tooling; --no-check-version: the pinned solara
    # is the one to use, so no "new version available" prompt.
    command = [sys.executable, "-m", "solara", "run", target, "--host", args.host,
               "--port", str(args.port), "--open" if args.open else "--no-open",
               "--production", "--no-check-version"]
    print(f"skills-sim dashboard: serving http://{args.host}:{args.port} (Ctrl-C stops)",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="skills-sim-assets-") as assets:
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = offline_assets(Path(assets))
        return subprocess.call(command, env=env)


# The charts' JavaScript as the page asks for it (solara's Altair widget loads "vega@5" and so
# on) -> the releases solara-assets ships, so the page draws charts without reaching a CDN.
VEGA_ALIASES = {"vega@5": "vega@", "vega-lite@5": "vega-lite@", "vega-embed@6": "vega-embed@"}


def offline_assets(folder: Path) -> str:
    """A solara asset folder in ``folder``: links to every asset solara-assets installed, plus
    the major-version names the chart widget requests. Returns the folder as a string."""
    for shipped in (Path(sys.prefix), Path(site.getuserbase() or sys.prefix)):
        shipped = shipped / "share" / "solara" / "cdn"
        if shipped.is_dir():
            break
    else:
        return str(folder)  # nothing shipped: solara fetches from its CDN as usual
    entries = sorted(p for p in shipped.iterdir())
    for entry in entries:
        (folder / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for alias, prefix in VEGA_ALIASES.items():
        found = [e for e in entries if e.name.startswith(prefix) and e.name[len(prefix):][:1].isdigit()]
        if found and not (folder / alias).exists():
            (folder / alias).symlink_to(found[-1], target_is_directory=True)
    return str(folder)
