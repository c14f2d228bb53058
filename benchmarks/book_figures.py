"""Measure the book's build figures (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/book_figures.py            # everything below
    .venv/bin/python benchmarks/book_figures.py --import-only

1. Two cold builds (empty _build, quick profile): wall time of each, each
   chapter's execution time, and whether the two glue identical values
   (every glued output of every executed notebook, compared as text).
2. A no-change rebuild: wall time.
3. ``python -c "import dlbook"``: best wall time of 5, and whether TensorFlow loaded.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
PYTHON = ROOT / ".venv" / "bin" / "python"


def timed(cmd: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def build(clean: bool) -> float:
    env = dict(os.environ, DLBOOK_PROFILE="quick")
    if clean:
        shutil.rmtree(BUILD, ignore_errors=True)
    return timed([sys.executable, "dev.py", "book"], env=env)


def glued_values() -> dict[str, str]:
    """Every glued value of every executed chapter, as ``chapter:name -> text``.

    Read from the jupyter-cache records: the notebooks myst-nb writes to
    ``_build/jupyter_execute`` no longer hold the glue outputs. A value is
    compared by what the page shows: its HTML if it has one (a table), else
    its text; a figure by a digest of its PNG.
    """
    from jupyter_cache import get_cache

    values = {}
    cache = get_cache(BUILD / ".jupyter_cache")
    for record in cache.list_cache_records():
        notebook = cache.get_cache_bundle(record.pk).nb
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                glue = output.get("metadata", {}).get("scrapbook")
                if glue:
                    data = {key.removeprefix(glue["mime_prefix"]): value
                            for key, value in output.get("data", {}).items()}
                    text = data.get("text/html", data.get("text/plain", ""))
                    if "image/png" in data:
                        text = "png " + hashlib.sha256(data["image/png"].encode()).hexdigest()[:16]
                    values[f"{Path(record.uri).stem}:{glue['name']}"] = text
    return values


def chapter_times(build_dir: Path = BUILD) -> dict[str, float]:
    """Execution seconds of each chapter, from the jupyter-cache records of ``build_dir``."""
    from jupyter_cache import get_cache

    cache = get_cache(build_dir / ".jupyter_cache")
    return {Path(record.uri).name: round(record.data.get("execution_seconds", float("nan")), 1)
            for record in cache.list_cache_records()}


def print_times_side_by_side(builds: list[Path]) -> None:
    """A table of chapter execution seconds, one column per build folder, with totals."""
    times = [chapter_times(build) for build in builds]
    chapters = sorted(set().union(*times))
    print("chapter".ljust(36) + "".join(f"{str(b)[-28:]:>30}" for b in builds))
    for chapter in chapters:
        print(chapter.ljust(36) + "".join(f"{t.get(chapter, float('nan')):>30.1f}" for t in times))
    print("total".ljust(36) + "".join(f"{sum(t.values()):>30.1f}" for t in times))


def import_time() -> tuple[float, bool]:
    code = "import sys, dlbook; print('tensorflow' in sys.modules)"
    best, loaded = float("inf"), None
    for _ in range(5):
        start = time.perf_counter()
        out = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - start)
        loaded = out.stdout.strip() == "True"
    return best, loaded


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import-only", action="store_true", help="measure only the import time")
    parser.add_argument("--times", nargs="+", type=Path, metavar="BUILD",
                        help="only print each chapter's execution time in these _build folders, "
                             "side by side (say, before and after a change)")
    args = parser.parse_args()
    if args.times:
        print_times_side_by_side(args.times)
        return
    if not args.import_only:
        first = build(clean=True)
        times, glue_a = chapter_times(), glued_values()
        second = build(clean=True)
        glue_b = glued_values()
        rebuild = build(clean=False)
        # a chapter's running time (chapter_runtime) is a timing, not a result: never compared
        keys = {k for k in glue_a.keys() | glue_b.keys() if not k.endswith(":chapter_runtime")}
        differing = sorted(k for k in keys if glue_a.get(k) != glue_b.get(k))
        print(f"cold build 1: {first:.1f} s; cold build 2: {second:.1f} s")
        for chapter, seconds in sorted(times.items()):
            print(f"  {chapter}: {seconds} s executing")
        slowest = max(times, key=times.get)
        print(f"slowest chapter: {slowest} ({times[slowest]} s)")
        print(f"no-change rebuild: {rebuild:.1f} s")
        figures = sum(v.startswith("png ") for v in glue_a.values())
        print(f"glued values: {len(glue_a) - figures} numbers/texts and {figures} figures; "
              f"identical across the two cold builds: {not differing}")
        for key in differing:
            print(f"  differs: {key}: {glue_a.get(key)!r} vs {glue_b.get(key)!r}")
    seconds, loaded = import_time()
    print(f"python -c 'import dlbook': {seconds:.3f} s (best of 5); TensorFlow imported: {loaded}")


if __name__ == "__main__":
    main()
