"""All matplotlib figures: forecasts and runs, sweeps, sensitivity, calibration fit, optimization."""
