"""The city: the model, its agents and processes, and the plan's programmes.

Imports only :mod:`sim.params` and itself. :class:`SkillsModel` is in :mod:`sim.model.model`.
"""
