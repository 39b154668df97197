"""What users touch: the command line (:mod:`sim.interfaces.cli`), the figures
(:mod:`sim.interfaces.plots`), the written summaries and the dashboard."""
