"""Measure dlbook as a new user gets it (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/package_figures.py

1. The sdist and the wheel: their sizes.
2. Installing the wheel into a fresh virtual environment: with the core
   dependencies, and with ``[keras]`` (pip's cache as this machine has it).
3. The notebook test, the way Colab runs a chapter: its ``.ipynb`` twin
   executed in a fresh environment without dlbook, whose first cell installs
   dlbook from the wheel; wall time per chapter, install included.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fresh_env import build_distributions, execute_notebook, fresh_venv, pip_install  # noqa: E402

CHAPTERS = ("02_gradient_descent", "01_neurons_and_networks")


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        sdist, wheel = build_distributions(scratch)
        for path in (sdist, wheel):
            print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")
        for extra in ("", "[keras]"):
            folder = scratch / f"install{extra}"
            bin_dir = fresh_venv(folder / "venv")
            seconds = timed(lambda b=bin_dir, f=folder, e=extra: pip_install(
                b, f"dlbook{e} @ {wheel.as_uri()}", cwd=f))
            print(f"pip install dlbook{extra} from the wheel into a fresh venv: {seconds:.1f} s")
        for chapter in CHAPTERS:
            folder = scratch / chapter
            bin_dir = fresh_venv(folder / "venv")
            pip_install(bin_dir, "ipykernel", cwd=folder)
            seconds = timed(lambda c=chapter, b=bin_dir, f=folder: execute_notebook(
                ROOT / "book" / f"{c}.ipynb", b, f, DLBOOK_PROFILE="quick",
                DLBOOK_REQUIREMENT=f"{{package}} @ {wheel.as_uri()}"))
            print(f"{chapter}.ipynb from a venv without dlbook (install included): {seconds:.1f} s")


if __name__ == "__main__":
    main()
