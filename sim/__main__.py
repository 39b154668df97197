"""``python -m sim``: the command line."""

from sim.interfaces.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
