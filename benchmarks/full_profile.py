"""Every chapter run as a script in the active profile and backend, timed (prints numbers only).

    DLBOOK_PROFILE=full KERAS_BACKEND=jax python3 benchmarks/full_profile.py          # on a GPU machine
    python3 benchmarks/full_profile.py --convert-only /tmp/chapters   # scripts for a machine without jupytext
    python3 benchmarks/full_profile.py --scripts /tmp/chapters --chapters 10 11

Each chapter ``book/NN_*.md`` is turned into a Python script with jupytext
(or taken from ``--scripts``, converted beforehand) and run in a fresh
interpreter from the repository root with ``MPLBACKEND=Agg``, so that every
training run in it uses the profile's budget and :func:`dlbook.training.fit`'s
path for the backend (on a GPU under JAX: the compiled loop, in bfloat16).
What the chapter glues (:func:`dlbook.config.glue`) is recorded instead of
displayed, so neither myst-nb nor IPython is needed. The table gives each
chapter's seconds, its status (``ok``, or the last line of its error:
offline, a chapter whose full profile needs a download stops with
``DatasetUnavailableError``) and its glued accuracies (chapter 10's MNIST
CNN against the 99.3 % target of the full profile). ``--jobs N`` runs N
chapters at once (on one GPU they share it: the seconds are then not each
chapter's alone). ``--json PATH`` also writes the results, every glued
number included.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))


def convert(chapter: Path, folder: Path) -> Path:
    """``chapter`` as a plain Python script in ``folder`` (jupytext's percent format)."""
    script = folder / f"{chapter.stem}.py"
    subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--to", "py:percent", "-o", str(script),
                    str(chapter)], check=True)
    return script


#: Runs a chapter script with dlbook.config.glue recording each glued number in a JSON file.
RUNNER = """
import json, runpy, sys
import numpy as np
import dlbook.config as config
script, record = sys.argv[1:3]
glued = {}
def glue(name, value, display=True):
    if np.ndim(value) == 0 and isinstance(np.asarray(value).item(), (int, float)):
        glued[name] = np.asarray(value).item()
        with open(record, "w") as handle:
            json.dump(glued, handle)
config.glue = glue
runpy.run_path(script, run_name="__main__")
"""


def run(script: Path, timeout: float) -> dict:
    """Run ``script`` from the repository root; its seconds, status and glued numbers."""
    path = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=path)
    record = script.with_suffix(".glued.json")
    record.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", RUNNER, str(script), str(record)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=timeout)
        errors = [line for line in out.stderr.strip().splitlines() if line.strip()]
        status = "ok" if out.returncode == 0 else (errors[-1] if errors else f"exit code {out.returncode}")
    except subprocess.TimeoutExpired:
        status = f"stopped after {timeout:.0f} s"
    glued = json.loads(record.read_text()) if record.is_file() else {}
    return {"seconds": time.perf_counter() - started, "status": status, "glued": glued}


def accuracies(glued: dict) -> str:
    """The glued numbers whose names say accuracy, as ``name=value`` pairs."""
    return ", ".join(f"{name}={value:.4g}" for name, value in glued.items() if "acc" in name.lower())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="+", help="chapter numbers to run (default: all)")
    parser.add_argument("--scripts", type=Path, help="use the scripts converted into this folder")
    parser.add_argument("--convert-only", type=Path, metavar="FOLDER", help="write the scripts here and stop")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one chapter may take")
    parser.add_argument("--jobs", type=int, default=1, help="chapters run at once (default 1)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be a positive int, got {args.jobs}")
    chapters = [c for c in CHAPTERS if not args.chapters or c.name[:2] in {n.zfill(2) for n in args.chapters}]
    if not chapters:
        parser.error(f"no chapter matches {args.chapters}; the chapters are {[c.name[:2] for c in CHAPTERS]}")
    if args.convert_only:
        args.convert_only.mkdir(parents=True, exist_ok=True)
        for chapter in chapters:
            print(convert(chapter, args.convert_only))
        return 0
    folder = args.scripts or Path(os.environ.get("TMPDIR", "/tmp")) / "dlbook_chapter_scripts"
    folder.mkdir(parents=True, exist_ok=True)
    profile = os.environ.get("DLBOOK_PROFILE", "quick")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    print(f"profile {profile}, KERAS_BACKEND {backend}, {args.jobs} chapter(s) at once")
    print(f"{'chapter':<32} {'seconds':>8}  status / glued accuracies")
    scripts = {c.stem: folder / f"{c.stem}.py" if args.scripts else convert(c, folder) for c in chapters}
    for script in scripts.values():
        if not script.is_file():
            parser.error(f"{script} does not exist: convert the chapters first (--convert-only {folder})")
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        running = {pool.submit(run, script, args.timeout): stem for stem, script in scripts.items()}
        for done in concurrent.futures.as_completed(running):
            results[running[done]] = row = done.result()
            print(f"{running[done]:<32} {row['seconds']:>8.1f}  {row['status'][:90]}", flush=True)
            if accuracies(row["glued"]):
                print(f"{'':<42}{accuracies(row['glued'])[:200]}", flush=True)
            if args.json:
                summary = {"profile": profile, "backend": backend, "jobs": args.jobs, "chapters": results}
                Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
