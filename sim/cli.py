"""``python -m sim.cli``: the command line (kept at this path; the commands live in
:mod:`sim.interfaces.cli`)."""

from sim.interfaces.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
