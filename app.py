"""The dashboard: ``solara run app.py`` (``skills-sim dashboard`` runs this file).

Needs the viz extra: ``python3 -m pip install -e '.[viz]'``. The scale the page starts at can be
set with SKILLS_SIM_DASHBOARD_PERSONS_PER_AGENT (1 = full scale, the default), the scenario with
SKILLS_SIM_DASHBOARD_SCENARIO. Each browser session gets its own model.
"""

from sim.interfaces.dashboard.page import Page

__all__ = ["Page"]
