"""Measure the autograder's figures (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/grading_figures.py

1. ``dlbook grade solutions/ch03_backprop.py`` (a chapter of NumPy
   exercises) as a fresh process: best wall time of 3, and whether the grader
   process imported TensorFlow.
2. ``dlbook grade solutions/`` (every exercise, Keras included): wall time.
3. A runaway (``while True: pass``) under the default limits: seconds from
   the start of its exercise to the exercise being marked failed, against
   the wall-clock limit.
4. A memory bomb (a list grown without bound) under the default limits: the
   worker's peak resident memory (``wait4``), the largest descendant's
   (``getrusage(RUSAGE_CHILDREN).ru_maxrss``) and the grader's own, against
   the limit.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "tests" / "submissions"


def grade_in_fresh_process(path: Path) -> tuple[float, str]:
    """Wall time of ``dlbook grade PATH`` from process start to exit, and its last line."""
    code = ("import sys\nfrom dlbook import cli\ncode = cli.main(['grade', sys.argv[1], "
            "'--quiet'])\nprint('tensorflow loaded:', 'tensorflow' in sys.modules)\n"
            "sys.exit(code)")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    lines = result.stdout.strip().splitlines()
    return elapsed, f"{lines[-2].strip()}; {lines[-1]}"


def chapter_file() -> None:
    times, summary = [], ""
    for _ in range(3):
        elapsed, summary = grade_in_fresh_process(ROOT / "solutions" / "ch03_backprop.py")
        times.append(elapsed)
    print(f"1. grade solutions/ch03_backprop.py (4 NumPy exercises, 16 cases), fresh process: "
          f"best {min(times):.2f} s of {', '.join(f'{t:.2f}' for t in times)} s  [{summary}]")


def all_solutions() -> None:
    elapsed, summary = grade_in_fresh_process(ROOT / "solutions")
    print(f"2. grade solutions/ (every exercise of every chapter, Keras included): "
          f"{elapsed:.1f} s  [{summary}]")


def runaway() -> None:
    from dlbook.grading import registry
    from dlbook.grading.runner import Grader
    from dlbook.grading.sources import load_source

    exercise = registry.get("ch01.softmax")
    with Grader() as grader:
        grader.sandbox.server("numpy")  # started before the clock, as it is for any exercise
        start = time.perf_counter()
        result = grader.grade(load_source(SUBMISSIONS / "ch01_infinite_loop.py"), exercise)
        elapsed = time.perf_counter() - start
    print(f"3. runaway (while True: pass) in ch01.softmax: marked '{result.status}' "
          f"{elapsed:.2f} s after its exercise started; limits {exercise.limits.wall_s:g} s "
          f"wall, {exercise.limits.cpu_s:g} s CPU -> {elapsed - exercise.limits.wall_s:+.2f} s")


def memory_bomb() -> None:
    from dlbook.grading import registry
    from dlbook.grading.runner import Grader
    from dlbook.grading.sources import load_source

    exercise = registry.get("ch01.softmax")
    with Grader() as grader:
        result = grader.grade(load_source(SUBMISSIONS / "ch01_memory_bomb.py"), exercise)
    descendants = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    grader_itself = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"4. memory bomb (a list grown without bound) in ch01.softmax: {result.score:g}/"
          f"{result.max_score:g}, status '{result.status}'; worker peak RSS "
          f"{result.peak_memory_mb:.0f} MiB, largest descendant {descendants:.0f} MiB, grader "
          f"{grader_itself:.0f} MiB; limit {exercise.limits.memory_mb:g} MiB of address space "
          "beyond the worker's libraries")


if __name__ == "__main__":
    chapter_file()
    all_solutions()
    runaway()
    memory_bomb()
