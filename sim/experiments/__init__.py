"""Many runs: seeds, executors, output folders, study files and the engines (forecast, sweep,
sensitivity, calibrate, optimize). Engines return tables and objects and report progress to
a caller's ``progress`` callable (:mod:`sim.experiments.progress`): no printing, no progress
bars, no argparse, no figures (``tests/test_layers.py``). Imports only :mod:`sim.params`,
:mod:`sim.model` and itself.
"""
