"""Many runs: seeds, executors, output folders, study files and the engines (forecast, sweep,
sensitivity, calibrate, optimize). Engines return tables and objects: no printing, no argparse,
no figures. Imports only :mod:`sim.params`, :mod:`sim.model` and itself.
"""
