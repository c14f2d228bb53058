"""The ``dlbook`` command: what this installation is, and what it ships.

    dlbook info                     versions, profile and Keras backend
    dlbook doctor [--json]          can this machine run the book and grade exercises?
    dlbook budget [CHAPTER]         the training sizes a chapter uses
    dlbook data NAME [--seed N]     load a dataset and show its splits
    dlbook exercises [CHAPTER] [--to DIR] [--force]
                                    write a chapter's exercise stubs (no CHAPTER: list them)
    dlbook grade PATH [--json FILE] [--exercise ID]
                                    grade exercise files or a notebook
    dlbook grade CLASS --gradebook FILE
                                    grade a folder of student folders into a CSV
    dlbook gradescope build|run     the Gradescope autograder zip, and its runner
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import sys
from pathlib import Path

from dlbook import __version__, config


def cmd_info(args: argparse.Namespace) -> None:
    import numpy as np

    print(f"dlbook {__version__}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"profile {config.profile()} (set DLBOOK_PROFILE=quick|full)")
    print(f"keras backend {os.environ.get('KERAS_BACKEND', 'tensorflow')} (set KERAS_BACKEND)")


def cmd_doctor(args: argparse.Namespace) -> None:
    """A table of checks (Python, dependencies, Keras backend, data, grader); exit 1 on a FAIL."""
    from dlbook import doctor

    if doctor.report(as_json=args.json):
        sys.exit(1)


def cmd_budget(args: argparse.Namespace) -> None:
    for chapter in [args.chapter] if args.chapter else config.chapters():
        settings = vars(config.budget(chapter, args.profile))
        profile = settings.pop("profile")
        values = ", ".join(f"{key}={value}" for key, value in settings.items())
        print(f"{chapter} [{profile}]: {values}")


def cmd_data(args: argparse.Namespace) -> None:
    from dlbook import data

    loader = data.DATASETS.get(args.name)
    seeded = loader is not None and "seed" in inspect.signature(loader).parameters
    split = data.load(args.name, **({"seed": args.seed} if seeded else {}))
    print(split.description)
    for part in ("train", "val", "test"):
        x, y = getattr(split, f"x_{part}"), getattr(split, f"y_{part}")
        print(f"  {part:<5} x {x.shape} {x.dtype} in [{x.min():.3g}, {x.max():.3g}]   "
              f"y {y.shape} {y.dtype}")


def cmd_exercises(args: argparse.Namespace) -> None:
    """List the chapters with exercise stubs, or write one chapter's stub into --to."""
    from dlbook import distribution

    if args.chapter is None:
        for stub in sorted(distribution.stub_folder().glob("ch*_*.py")):
            print(f"{stub.name.split('_')[0]}  {stub.name}")
        return
    stub = distribution.stub_file(args.chapter)
    target = Path(args.to) / stub.name
    if target.exists() and not args.force:
        raise ValueError(f"{target} exists: pass --force to overwrite it (your work in it is lost)")
    if Path(args.to).exists() and not Path(args.to).is_dir():
        raise ValueError(f"--to {args.to}: not a folder")
    try:
        Path(args.to).mkdir(parents=True, exist_ok=True)
        target.write_bytes(stub.read_bytes())
    except OSError as error:
        raise ValueError(f"cannot write {target}: {error.strerror or error}") from None
    print(f"wrote {target}: fill in the functions, then: dlbook grade {target}")


def cmd_grade(args: argparse.Namespace) -> None:
    """Grade; print feedback for lost points and the table; write results.json if asked.

    The ``--json`` path is checked before anything is graded, and written
    atomically after every worker has ended. A class folder is graded into a
    gradebook instead (:func:`_grade_class`).
    """
    from dlbook.grading import classroom, results_file, runner

    if classroom.is_class_folder(args.path):
        _grade_class(args)
        return
    _refuse_class_options(args)
    if args.json:
        results_file.check_writable(args.json)
    isolation = _isolation_for(args, "--json" if args.json else None)
    report = runner.grade_path(args.path, args.exercise, _limit_overrides(args), isolation)
    if not args.quiet:
        _print_feedback([r for r in report.results if r.score < r.max_score])
    print(report.table())
    if args.json:
        results_file.write_json(args.json, report.gradescope(args.hidden_visibility))


def _grade_class(args: argparse.Namespace) -> None:
    """Grade every student folder into --gradebook and --feedback; print a summary."""
    from dlbook.grading import classroom

    if not args.gradebook:
        raise ValueError(f"{str(args.path)!r} is a class folder (student folders, no exercise "
                         "file of its own): grading it needs --gradebook FILE, the CSV it writes")
    if args.json:
        raise ValueError("--json is for one submission; for a class folder, each student's "
                         "results.json is written to the --feedback folder")
    isolation = _isolation_for(args, "--gradebook")
    report = classroom.grade_class(args.path, args.gradebook, args.feedback, args.exercise,
                                   _limit_overrides(args), isolation, args.jobs,
                                   progress=not args.quiet,
                                   hidden_visibility=args.hidden_visibility)
    print(report.summary())


def _refuse_class_options(args: argparse.Namespace) -> None:
    """ValueError if an option only a class folder takes was given for another path."""
    given = [option for option, value in (("--gradebook", args.gradebook),
                                          ("--feedback", args.feedback), ("--jobs", args.jobs))
             if value is not None]
    if given:
        raise ValueError(f"{' and '.join(given)}: only for a class folder (one sub-folder per "
                         f"student, no exercise file of its own); {str(args.path)!r} is not one")


def _limit_overrides(args: argparse.Namespace) -> dict:
    return {"wall_s": args.wall_time, "cpu_s": args.cpu_time, "memory_mb": args.memory}


def _isolation_for(args: argparse.Namespace, output: str | None) -> str:
    """The isolation to ask for: results written to ``output`` (``--json``, ``--gradebook``)
    without the sandbox need --allow-weak-isolation."""
    if not output or args.allow_weak_isolation or args.isolation == "bubblewrap":
        return args.isolation
    if args.isolation == "processes":
        raise ValueError(f"--isolation processes is weak isolation: writing {output} with it "
                         "needs --allow-weak-isolation")
    from dlbook.grading.isolation import IsolationError, require_bubblewrap

    try:
        require_bubblewrap()
    except IsolationError as error:
        raise RuntimeError(f"{error}; grading for {output} needs the sandbox (or pass "
                           "--allow-weak-isolation to grade without it)") from None
    return "bubblewrap"


def _print_feedback(results: list) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    for result in results:
        console.print(result)


def _add_grade_parser(commands) -> None:
    grade = commands.add_parser("grade", help="grade exercise files, a folder or a notebook")
    grade.add_argument("path", help="a .py exercise file, a folder of them, a notebook "
                                    "(.ipynb or MyST .md), or a class folder: one sub-folder "
                                    "per student")
    grade.add_argument("--json", metavar="FILE", help="write Gradescope's results.json here")
    grade.add_argument("--gradebook", metavar="FILE",
                       help="a class folder: write every student's points here (CSV)")
    grade.add_argument("--feedback", metavar="DIR",
                       help="a class folder: write <student>.txt and <student>.json here "
                            "(default: feedback/ beside the gradebook)")
    grade.add_argument("--jobs", type=int, metavar="N",
                       help="a class folder: students graded at once (default: every core)")
    grade.add_argument("--exercise", metavar="ID", action="append",
                       help="grade only this exercise, e.g. ch03.backward (repeatable)")
    grade.add_argument("--wall-time", type=float, metavar="S", help="wall-clock limit per exercise")
    grade.add_argument("--cpu-time", type=float, metavar="S", help="CPU-time limit per exercise")
    grade.add_argument("--memory", type=float, metavar="MB", help="memory limit per exercise")
    grade.add_argument("--hidden-visibility", default="after_published",
                       choices=("after_published", "hidden"),
                       help="Gradescope visibility of hidden cases (default after_published)")
    grade.add_argument("--quiet", action="store_true",
                       help="print only the table (a class folder: no progress bar)")
    grade.add_argument("--isolation", default="auto", choices=("auto", "bubblewrap", "processes"),
                       help="how student code is isolated: a bubblewrap sandbox (full), plain "
                            "processes (weak), or auto: the sandbox where it can start")
    grade.add_argument("--allow-weak-isolation", action="store_true",
                       help="write --json or --gradebook even where the sandbox cannot start")
    grade.set_defaults(run=cmd_grade)


def cmd_gradescope(args: argparse.Namespace) -> None:
    from dlbook.grading import gradescope

    if args.action == "build":
        path = gradescope.build(args.out, args.wheel, args.allow_weak_isolation)
        print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")
    else:
        results = gradescope.run(args.root, args.allow_weak_isolation)
        print(results["output"])


def _add_gradescope_parser(commands) -> None:
    gradescope = commands.add_parser(
        "gradescope", help="build a Gradescope autograder zip, or run inside one",
        description="build: write the autograder zip (setup.sh, run_autograder, the dlbook wheel, "
                    "pinned requirements). run: what run_autograder calls on Gradescope: grade "
                    "ROOT/submission into ROOT/results/results.json in the sandbox.")
    gradescope.add_argument("action", choices=("build", "run"))
    gradescope.add_argument("--out", default="autograder.zip", help="build: the zip to write")
    gradescope.add_argument("--wheel", metavar="FILE",
                            help="build: a dlbook wheel to ship (default: build one from this clone)")
    gradescope.add_argument("--root", default="/autograder", help="run: Gradescope's folder")
    gradescope.add_argument("--allow-weak-isolation", action="store_true",
                            help="grade even where the sandbox cannot start (not recommended)")
    gradescope.set_defaults(run=cmd_gradescope)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dlbook {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="versions, profile and Keras backend")
    info.set_defaults(run=cmd_info)
    doctor = commands.add_parser("doctor", help="can this machine run the book and grade exercises?")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.set_defaults(run=cmd_doctor)

    budget = commands.add_parser("budget", help="the sizes and epochs each chapter trains with")
    budget.add_argument("chapter", nargs="?", help=f"one of {', '.join(config.chapters())}")
    budget.add_argument("--profile", choices=config.PROFILES, help="default: DLBOOK_PROFILE")
    budget.set_defaults(run=cmd_budget)

    data = commands.add_parser("data", help="load a dataset and show its train/val/test splits")
    data.add_argument("name", help="a dataset name, e.g. iris, digits, moons, mnist_subset")
    data.add_argument("--seed", type=int, default=config.DEFAULT_SEED, help="split seed")
    data.set_defaults(run=cmd_data)
    exercises = commands.add_parser("exercises", help="write a chapter's exercise stubs",
                                    description="Write the stub file of CHAPTER's coding exercises "
                                                "into --to (default: the current folder); without "
                                                "CHAPTER, list the chapters that have some.")
    exercises.add_argument("chapter", nargs="?", help="e.g. ch03")
    exercises.add_argument("--to", default=".", metavar="DIR", help="the folder to write into")
    exercises.add_argument("--force", action="store_true", help="overwrite an existing file")
    exercises.set_defaults(run=cmd_exercises)
    _add_grade_parser(commands)
    _add_gradescope_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; bad input ends with exit code 2 and a one-line reason."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, TypeError, RuntimeError) as error:
        parser.exit(2, f"dlbook {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
