"""Measure grading a whole class (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/class_grading.py [--students N] [--jobs N]

Builds a class of N chapter-3 submissions (default 100) in a temporary
folder, one student folder each: 40 % the reference (solutions/ch03_backprop.py),
30 % the stub (exercises/ch03_backprop.py), 30 % the reference with
``output_delta`` returning the wrong sign. Grades it as a fresh process,
``dlbook grade CLASS --gradebook FILE --quiet --jobs N`` (default: every
core), and prints the students, the wall time from process start to exit,
submissions per minute, the mean total of each kind, and the isolation used.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("reference",) * 4 + ("stub",) * 3 + ("wrong sign",) * 3  # student i is KINDS[i % 10]


def submissions() -> dict[str, str]:
    """The text of each kind of submission."""
    reference = (ROOT / "solutions" / "ch03_backprop.py").read_text()
    wrong_sign = reference.replace("return (y_hat - y) / y.size", "return (y - y_hat) / y.size")
    assert wrong_sign != reference, "output_delta changed in solutions/: update this benchmark"
    return {"reference": reference, "stub": (ROOT / "exercises" / "ch03_backprop.py").read_text(),
            "wrong sign": wrong_sign}


def build_class(folder: Path, students: int) -> dict[str, str]:
    """One folder per student in ``folder``; each student's kind by name."""
    texts, kinds = submissions(), {}
    for number in range(students):
        name, kind = f"student{number:03d}", KINDS[number % len(KINDS)]
        (folder / name).mkdir(parents=True)
        (folder / name / "ch03_backprop.py").write_text(texts[kind])
        kinds[name] = kind
    return kinds


def grade_in_fresh_process(folder: Path, gradebook: Path, jobs: int) -> tuple[float, str]:
    """Wall time of ``dlbook grade FOLDER --gradebook ... --quiet`` from start to exit; stdout."""
    argv = [sys.executable, "-m", "dlbook", "grade", str(folder), "--gradebook", str(gradebook),
            "--quiet", "--jobs", str(jobs)]
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, result.stdout


def mean_totals(gradebook: Path, kinds: dict[str, str]) -> dict[str, float]:
    """The mean gradebook total of each kind of submission (errors count as 0)."""
    totals = defaultdict(list)
    with open(gradebook, newline="") as stream:
        for row in csv.DictReader(stream):
            totals[kinds[row["student"]]].append(float(row["total"] or 0))
    assert sum(map(len, totals.values())) == len(kinds), "a student is missing from the gradebook"
    return {kind: sum(values) / len(values) for kind, values in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100, help="class size (default 100)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(),
                        help="students graded at once (default: every core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlbook-class-") as temporary:
        kinds = build_class(Path(temporary) / "class", args.students)
        gradebook = Path(temporary) / "grades.csv"
        elapsed, out = grade_in_fresh_process(Path(temporary) / "class", gradebook, args.jobs)
        means = mean_totals(gradebook, kinds)
    isolation = next((line for line in out.splitlines() if line.startswith("isolation:")), "?")
    print(f"class grading: {args.students} chapter-3 submissions, --jobs {args.jobs} on "
          f"{os.cpu_count()} cores: {elapsed:.1f} s wall (fresh process), "
          f"{60 * args.students / elapsed:.1f} submissions per minute")
    print("mean total by kind: " + ", ".join(f"{kind} {mean:g}" for kind, mean in means.items()))
    print(isolation)


if __name__ == "__main__":
    main()
