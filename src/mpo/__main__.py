"""`python -m mpo` runs the same CLI as the `mpo` console script."""

from mpo.cli.entry import run

if __name__ == "__main__":
    run()
