"""Measure the autograder's figures (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/grading_figures.py [--before PATH] [--repeat 5]

``--before PATH`` names another checkout of the repository (for example
``git worktree add /tmp/before bb5b20d``, the grader before the sandbox):
every figure that can be is measured for both, side by side, each by a
fresh ``python -m dlbook grade`` with ``PYTHONPATH`` pointing at that
checkout's copy.

1. Each file of NumPy exercises in ``solutions/`` graded in a fresh process:
   median wall time of ``--repeat`` runs.
2. ``solutions/`` whole (every exercise, Keras included): one run.
3. The cost of starting one worker: an empty job in a bubblewrap sandbox and
   in a plain process (NumPy and Keras workers), median of several.
4. A runaway (``while True: pass``) and a memory bomb under the default limits.
5. The attack corpus (``tests/submissions/attacks``): for each class, the
   score it deserves, and the score it got (or how the grader failed), each
   graded by a throwaway copy of the grader, as root; then the untouched
   chapter-1 stub graded by that same copy (it deserves 0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from corpus import SUBMISSIONS, hand_in, without_attacks  # noqa: E402

ATTACK_LIMITS = ["--wall-time", "4", "--cpu-time", "4", "--memory", "512"]


def install_copy(checkout: Path, folder: Path) -> Path:
    """A throwaway copy of ``checkout``'s dlbook and solutions/ (attacks write to disk)."""
    for name in ("dlbook", "solutions"):
        shutil.copytree(checkout / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def grade(checkout: Path, path: Path, *extra: str, timeout: float = 900) -> tuple[float, str]:
    """Seconds of ``python -m dlbook grade PATH`` with ``checkout`` first on the path, and its
    table's total line (or why it failed)."""
    env = dict(os.environ, PYTHONPATH=str(checkout), TF_CPP_MIN_LOG_LEVEL="3",
               TF_ENABLE_ONEDNN_OPTS="0")
    start = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, "-m", "dlbook", "grade", str(path), "--quiet",
                                 *extra], env=env, capture_output=True, text=True,
                                timeout=timeout, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, f"hung (killed after {timeout:g} s)"
    elapsed = time.perf_counter() - start
    if result.returncode:
        return elapsed, f"failed, exit {result.returncode}: {result.stderr.strip()[-120:]}"
    total = next(line for line in result.stdout.splitlines() if line.startswith("total"))
    return elapsed, " ".join(total.split()[1:3])


def numpy_files(checkouts: dict[str, Path], repeat: int) -> None:
    print(f"1. one file of NumPy exercises, fresh process, median of {repeat} (s):")
    for path in sorted((ROOT / "solutions").glob("ch*.py")):
        if path.name.startswith("ch04"):
            continue  # the Keras chapter
        cells = []
        for label, checkout in checkouts.items():
            times = [grade(checkout, checkout / "solutions" / path.name)[0] for _ in range(repeat)]
            cells.append(f"{label} {statistics.median(times):.2f}")
        print(f"   {path.name:<32} " + "   ".join(cells))


def all_solutions(checkouts: dict[str, Path]) -> None:
    cells = []
    for label, checkout in checkouts.items():
        elapsed, total = grade(checkout, checkout / "solutions")
        cells.append(f"{label} {elapsed:.1f} s [{total}]")
    print("2. solutions/ whole (every exercise, Keras included): " + "   ".join(cells))


def start_cost(repeat: int) -> None:
    from dlbook.grading import supervisor
    from dlbook.grading.runtime import limits
    from dlbook.grading.runtime.protocol import Source, StudentJob

    source = Source("empty.py", "module", "/submission",
                    (("empty.py", "def f():\n    return None\n"),))
    job = StudentJob(source, "f", ((),))
    print(f"3. starting one worker for an empty job (median of {repeat}; Keras: of 3):")
    print(f"   bubblewrap alone, /bin/true in the same sandbox: {bare_sandbox_ms(repeat):.0f} ms")
    for mode in ("bubblewrap", "processes"):
        with supervisor.Supervisor(mode) as box:
            for kind, count in (("numpy", repeat), ("keras", 3)):
                times = []
                for _ in range(count):
                    start = time.perf_counter()
                    box.run(job, kind, limits.Limits(wall_s=60, cpu_s=60, memory_mb=4096))
                    times.append(time.perf_counter() - start)
                print(f"   {mode:<10} {kind:<5} {statistics.median(times) * 1000:7.0f} ms")


def bare_sandbox_ms(repeat: int) -> float:
    """Milliseconds to start and end the worker's sandbox around ``/bin/true`` instead of Python."""
    from dlbook.grading import isolation

    with tempfile.TemporaryDirectory() as root:
        bubblewrap = isolation.Bubblewrap(root)
        times = []
        for _ in range(repeat):
            launch = bubblewrap.launch("numpy", {}, (), 1, [])
            argv = launch.argv[:launch.argv.index(str(isolation.interpreter()))] + ["/bin/true"]
            start = time.perf_counter()
            subprocess.run(argv, pass_fds=launch.pass_fds, env=launch.env, check=True)
            times.append(time.perf_counter() - start)
            for fd in (*launch.pass_fds, launch.status_fd):
                os.close(fd)
    return statistics.median(times) * 1000


def limits_at_work() -> None:
    from dlbook.grading import registry
    from dlbook.grading.runner import Grader
    from dlbook.grading.sources import load_source

    exercise = registry.get("ch01.softmax")
    with tempfile.TemporaryDirectory() as folder, Grader() as grader:
        for name in ("ch01_infinite_loop", "ch01_memory_bomb"):
            source = load_source(hand_in(SUBMISSIONS / f"{name}.py", Path(folder)))
            start = time.perf_counter()
            result = grader.grade(source, exercise)
            elapsed = time.perf_counter() - start
            print(f"4. {name} in ch01.softmax: '{result.status}' after {elapsed:.2f} s "
                  f"(limits {exercise.limits.wall_s:g} s wall, {exercise.limits.cpu_s:g} s CPU, "
                  f"{exercise.limits.memory_mb:g} MiB); worker peak RSS "
                  f"{result.peak_memory_mb:.0f} MiB")


def attacks(checkouts: dict[str, Path]) -> None:
    print("5. attacks (score out of 31 for chapter 1; limits 4 s, 4 s, 512 MiB):")
    for path in sorted((SUBMISSIONS / "attacks").glob("ch01_*.py")):
        cells = []
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            deserved = folder / "deserved"
            deserved.mkdir()
            (deserved / "original.py").write_text(without_attacks(path.read_text()))
            graded = hand_in(deserved / "original.py", deserved, path.name)
            cells.append(f"deserved {grade(ROOT, graded, *ATTACK_LIMITS)[1]}")
            for label, checkout in checkouts.items():
                copy = install_copy(checkout, folder / f"install-{label}")
                results = folder / f"{label}.json"
                _, total = grade(copy, hand_in(path, folder / label), "--json", str(results),
                                 *ATTACK_LIMITS, timeout=120)
                time.sleep(2.0)  # what the attack left behind acts after the grader exits
                if results.exists() and total[0].isdigit():
                    data = json.loads(results.read_text())
                    total = f"{data['score']:g} {data['max_score']:g} in results.json"
                stub = grade(copy, checkout / "exercises" / "ch01_neurons.py")[1]
                cells.append(f"{label} {total}, then the stub {stub}")
        print(f"   {path.stem:<32} " + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (median)")
    parser.add_argument("--only", nargs="*", type=int, choices=range(1, 6), help="sections to run")
    args = parser.parse_args()
    if args.before and not (args.before / "dlbook" / "grading").is_dir():
        parser.error(f"--before must be a checkout of dlbook, got {args.before}")
    checkouts = {"before": args.before.resolve()} if args.before else {}
    checkouts["after"] = ROOT
    sections = {1: lambda: numpy_files(checkouts, args.repeat), 2: lambda: all_solutions(checkouts),
                3: lambda: start_cost(args.repeat), 4: limits_at_work, 5: lambda: attacks(checkouts)}
    for number in args.only or sorted(sections):
        sections[number]()


if __name__ == "__main__":
    main()
