"""Build and test times of two commits, side by side (prints numbers; never a pass/fail test).

    python3 benchmarks/build_speed.py --before 2f1ac34 [--after HEAD] [--skip-test]

Each commit is cloned into its own folder (its ``.venv`` made there first, not timed), then,
quick profile, in this order:

1. cold build: ``python3 dev.py book`` from an empty ``_build``;
2. no-change rebuild: ``python3 dev.py book`` again;
3. one module touched: a comment appended to ``dlbook/lstm.py`` (chapter 14's NumPy cell),
   then ``python3 dev.py book``;
4. ``python3 dev.py test`` (unit tests, the clean build reusing the cache, the site checks),
   unless ``--skip-test``.

The after-commit's chapter table (which chapters ran, and for how long) is printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOUCHED = Path("dlbook") / "lstm.py"
STEPS = ("cold build", "no-change rebuild", f"rebuild after touching {TOUCHED}", "dev.py test")


def clone(ref: str, where: Path) -> Path:
    """A clone of this repository at ``ref``, with ``../shared`` beside it as in a checkout."""
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(where)], check=True)
    subprocess.run(["git", "checkout", "-q", ref], cwd=where, check=True)
    shared = ROOT.parent / "shared"
    if shared.exists() and not (where.parent / "shared").exists():
        (where.parent / "shared").symlink_to(shared)
    subprocess.run([sys.executable, "-c", "import dev; dev.ensure_environment()"], cwd=where, check=True)
    return where


def timed(where: Path, *command: str) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "dev.py", *command], cwd=where,
                            env=dict(os.environ, DLBOOK_PROFILE="quick"), capture_output=True, text=True)
    if result.returncode:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        sys.exit(f"{where}: dev.py {' '.join(command)} failed:\n{output}")
    return time.perf_counter() - start


def measure(where: Path, with_test: bool) -> dict[str, float]:
    """The steps' times, each printed as soon as it is measured (a stopped run keeps them)."""
    times = {}
    for step, command in zip(STEPS, ("book", "book", "book", "test"), strict=True):
        if step == STEPS[2]:
            with (where / TOUCHED).open("a") as f:
                f.write("\n# touched by benchmarks/build_speed.py\n")
        if step == STEPS[3] and not with_test:
            break
        times[step] = timed(where, command)
        print(f"  {step}: {times[step]:.1f} s", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--after", default="HEAD", help="the commit measured against it (HEAD)")
    parser.add_argument("--skip-test", action="store_true", help="leave out dev.py test")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/dlbook-build-speed"),
                        help="where the two clones go")
    args = parser.parse_args()
    results = {}
    for label, ref in (("before", args.before), ("after", args.after)):
        where = clone(ref, args.folder / label)
        print(f"{label} ({ref}): measuring in {where} ...", flush=True)
        results[label] = measure(where, not args.skip_test)
    print(f"\n{os.cpu_count()} cores, quick profile; seconds")
    print(f"{'':40} {'before':>9} {'after':>9}")
    for step in STEPS:
        if step in results["before"]:
            before, after = results["before"][step], results["after"][step]
            print(f"{step:40} {before:9.1f} {after:9.1f}   x{before / after:.1f}")
    report = args.folder / "after" / "book" / "_ext" / "dlbook_execute.py"
    if report.exists():
        subprocess.run([str(args.folder / "after" / ".venv" / "bin" / "python"), str(report), "--report"],
                       cwd=args.folder / "after")


if __name__ == "__main__":
    main()
