"""The interactive dashboard: the city on a map, levers in the sidebar, targets as live charts,
and settings compared over a few seeds with their bands.

``levers`` (units, ranges, values in force), ``model`` (the page's ``SkillsModel``),
``compare`` (named runs through the forecast engine), ``charts`` (Altair), ``district_maps``
(the answers by district on the map, Altair), ``tables`` (HTML) and ``page`` (the Solara
components). Needs the ``viz`` extra: ``pip install -e '.[viz]'``.
The package imports nothing itself, so ``levers``, ``model`` and ``compare`` load without
Solara; ``app.py`` imports ``page``.
"""
