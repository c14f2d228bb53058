"""Execute the chapters before Sphinx reads them: in parallel, and each only when what it ran changed.

``dev.py`` runs this before ``jupyter-book build``. Each executed chapter goes into the
execution cache myst-nb reads (``_build/.jupyter_cache``, which keys a chapter on its code
cells), so the build that follows executes nothing. What myst-nb's key leaves out, this
step keeps beside it, per chapter: the source of every dlbook module the chapter imported
when it last ran (the kernel lists them at the end of the run: recorded, not guessed), and
the pinned requirements, the profile, the Keras backend and the training path. A chapter
runs again when its code cells change, when one of those modules changes, or when any of
the rest does; a change to its prose runs nothing. Each run is printed with its reason, and
``python3 dev.py book`` ends with the table of every chapter's time (:func:`print_report`).

Usage: ``python book/_ext/dlbook_execute.py [--jobs N]`` (N: parallel kernels, default the
number of cores); ``--report`` prints the last table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"  # where jupyter-book points myst-nb
DEPENDENCIES = BUILD / ".dlbook-dependencies.json"
REPORT = BUILD / ".dlbook-execution.json"
SETTINGS = {"DLBOOK_PROFILE": "quick", "KERAS_BACKEND": "tensorflow", "DLBOOK_FAST_FIT": "auto"}
# the last cell of every run: the dlbook modules the chapter imported, as JSON
IMPORTED = ("import json as _json, sys as _sys\n"
            "print(_json.dumps(sorted(name for name, module in _sys.modules.items()\n"
            "    if name.split('.')[0] == 'dlbook' and getattr(module, '__file__', None))))")


def environment(env=os.environ) -> dict[str, str]:
    """What every chapter's numbers depend on besides its code and its modules."""
    lock = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    return {"requirements.txt": lock, **{name: env.get(name, default) for name, default in SETTINGS.items()}}


def module_file(name: str) -> Path:
    """The source file of the dlbook module ``name`` (``dlbook.lstm`` -> dlbook/lstm.py)."""
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def digests(modules) -> dict[str, str]:
    """Each module's source digest; a module that no longer exists digests as missing."""
    files = {name: module_file(name) for name in modules}
    return {name: hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else "missing"
            for name, f in files.items()}


def read(path: Path):
    """The chapter as myst-nb reads it, so that its cache key is myst-nb's."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text("utf8"), add_source_map=True, path=str(path))


def cached_record(cache, notebook):
    """The cache's record of this notebook's code cells, or None."""
    try:
        return cache.match_cache_notebook(notebook)
    except KeyError:
        return None


def why_run(recorded: dict | None, in_cache: bool, now: dict) -> str | None:
    """Why a chapter must run again, or None when its cached run still holds."""
    if not in_cache:
        return "its code cells changed" if recorded else "never run"
    if recorded is None:
        return "no record of the modules it imported"
    changed = [key for key, value in now.items() if recorded["environment"].get(key) != value]
    if changed:
        return f"{', '.join(changed)} changed"
    modules = [m for m, digest in digests(recorded["modules"]).items() if recorded["modules"][m] != digest]
    if modules:
        files = [str(module_file(m).relative_to(ROOT)) for m in modules]
        more = f" and {len(files) - 3} more" if len(files) > 4 else ""  # one line in the build log
        return f"{', '.join(files if not more else files[:3])}{more} changed"
    return None


def cell_timeout() -> int:
    """Seconds a cell may run: the book's setting (``execute: timeout`` in _config.yml)."""
    import yaml

    return int(yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["timeout"])


def execute(path: str, timeout: int) -> tuple[object, float, list[str], str | None]:
    """Run one chapter in a fresh kernel in its own folder: (notebook, seconds, modules, error)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = read(Path(path))
    notebook.cells.append(nbformat.v4.new_code_cell(IMPORTED))
    result = single_nb_execution(notebook, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=False)
    if result.err is not None:
        return None, result.time, [], result.exc_string
    last = notebook.cells.pop()
    printed = "".join(out.get("text", "") for out in last.outputs if out.get("name") == "stdout")
    return notebook, result.time, json.loads(printed), None


def run(jobs: int, timeout: int) -> int:
    """Execute what changed, ``jobs`` chapters at a time; 0 when every chapter ran or was cached."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from dlbook.notebooks import chapters

    cache = get_cache(str(CACHE))
    recorded = json.loads(DEPENDENCIES.read_text()) if DEPENDENCIES.exists() else {}
    previous = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    now = environment()
    report, stale = {}, {}
    for chapter in chapters(ROOT):  # every chapter notebook of book/ (the toc's)
        name = chapter.source.stem
        record = cached_record(cache, read(chapter.source))
        reason = why_run(recorded.get(name), record is not None, now)
        if reason is None:
            report[name] = {"seconds": record.data.get("execution_seconds"), "ran": False, "why": "cached"}
        else:
            stale[name] = (chapter.source, record, reason)
    print(f"Executing {len(stale)} of {len(stale) + len(report)} chapters, {jobs} at a time"
          + (":" if stale else " (all cached)."), flush=True)
    # the slowest first, so that the last to finish is a short one
    order = sorted(stale, key=lambda n: -(previous.get(n, {}).get("seconds") or 1e9))
    failed = False
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for name in order:
            source, record, reason = stale[name]
            print(f"  {name}: {reason}", flush=True)
            if record is not None:
                cache.remove_cache(record.pk)
            futures[pool.submit(execute, str(source), timeout)] = name
        for future in as_completed(futures):
            name = futures[future]
            notebook, seconds, modules, error = future.result()
            source, _, reason = stale[name]
            report[name] = {"seconds": seconds, "ran": True, "why": reason}
            if error is not None:  # stop: the chapters still waiting are not started
                print(f"\n{name} failed after {seconds:.0f} s:\n{error}", file=sys.stderr, flush=True)
                pool.shutdown(wait=True, cancel_futures=True)
                failed = True
                break
            cache.cache_notebook_bundle(CacheBundleIn(notebook, str(source),
                                                      data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            recorded[name] = {"environment": now, "modules": digests(modules)}
            os.utime(source)  # Sphinx reads the page again, with its new outputs
            print(f"  {name}: ran in {seconds:.0f} s", flush=True)
    BUILD.mkdir(exist_ok=True)
    DEPENDENCIES.write_text(json.dumps(recorded, indent=1, sort_keys=True))
    REPORT.write_text(json.dumps(report, indent=1, sort_keys=True))
    return 1 if failed else 0


def print_report() -> None:
    """The table of each chapter's execution time and whether it came from the cache."""
    from rich.console import Console
    from rich.table import Table

    report = json.loads(REPORT.read_text())
    table = Table(title="Chapter execution")
    for column, justify in (("chapter", "left"), ("seconds", "right"), ("this build", "left")):
        table.add_column(column, justify=justify)
    for name, row in sorted(report.items()):
        seconds = "" if row["seconds"] is None else f"{row['seconds']:.1f}"
        table.add_row(name, seconds, f"ran: {row['why']}" if row["ran"] else "cached")
    Console(width=100).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="chapters executed at once (default: the number of cores)")
    parser.add_argument("--report", action="store_true", help="print the last build's table and stop")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.report:
        print_report()
        return
    sys.exit(run(args.jobs, cell_timeout()))


if __name__ == "__main__":
    main()
