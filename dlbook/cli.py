"""The ``dlbook`` command: what this installation is, and what it ships.

    dlbook info                     versions, profile and Keras backend
    dlbook budget [CHAPTER]         the training sizes a chapter uses
    dlbook data NAME [--seed N]     load a dataset and show its splits
    dlbook grade PATH [--json FILE] [--exercise ID]
                                    grade exercise files or a notebook
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import sys

from dlbook import __version__, config


def cmd_info(args: argparse.Namespace) -> None:
    import numpy as np

    print(f"dlbook {__version__}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"profile {config.profile()} (set DLBOOK_PROFILE=quick|full)")
    print(f"keras backend {os.environ.get('KERAS_BACKEND', 'tensorflow')} (set KERAS_BACKEND)")


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


def cmd_grade(args: argparse.Namespace) -> None:
    """Grade; print feedback for lost points and the table; write results.json if asked.

    The ``--json`` path is checked before anything is graded, and written
    atomically after every worker has ended.
    """
    from dlbook.grading import results_file, runner

    if args.json:
        results_file.check_writable(args.json)
    isolation = _isolation_for(args)
    overrides = {"wall_s": args.wall_time, "cpu_s": args.cpu_time, "memory_mb": args.memory}
    report = runner.grade_path(args.path, args.exercise, overrides, isolation)
    if not args.quiet:
        _print_feedback([r for r in report.results if r.score < r.max_score])
    print(report.table())
    if args.json:
        results_file.write_json(args.json, report.gradescope(args.hidden_visibility))


def _isolation_for(args: argparse.Namespace) -> str:
    """The isolation to ask for: results.json without the sandbox needs --allow-weak-isolation."""
    if not args.json or args.allow_weak_isolation or args.isolation == "bubblewrap":
        return args.isolation
    if args.isolation == "processes":
        raise ValueError("--isolation processes is weak isolation: a results.json made with it "
                         "needs --allow-weak-isolation")
    from dlbook.grading.isolation import IsolationError, require_bubblewrap

    try:
        require_bubblewrap()
    except IsolationError as error:
        raise RuntimeError(f"{error}; grading for --json needs the sandbox (or pass "
                           "--allow-weak-isolation to grade without it)") from None
    return "bubblewrap"


def _print_feedback(results: list) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    for result in results:
        console.print(result)


def _add_grade_parser(commands) -> None:
    grade = commands.add_parser("grade", help="grade exercise files, a folder or a notebook")
    grade.add_argument("path", help="a .py exercise file, a folder of them, or a notebook "
                                    "(.ipynb or MyST .md)")
    grade.add_argument("--json", metavar="FILE", help="write Gradescope's results.json here")
    grade.add_argument("--exercise", metavar="ID", action="append",
                       help="grade only this exercise, e.g. ch03.backward (repeatable)")
    grade.add_argument("--wall-time", type=float, metavar="S", help="wall-clock limit per exercise")
    grade.add_argument("--cpu-time", type=float, metavar="S", help="CPU-time limit per exercise")
    grade.add_argument("--memory", type=float, metavar="MB", help="memory limit per exercise")
    grade.add_argument("--hidden-visibility", default="after_published",
                       choices=("after_published", "hidden"),
                       help="Gradescope visibility of hidden cases (default after_published)")
    grade.add_argument("--quiet", action="store_true", help="print only the table")
    grade.add_argument("--isolation", default="auto", choices=("auto", "bubblewrap", "processes"),
                       help="how student code is isolated: a bubblewrap sandbox (full), plain "
                            "processes (weak), or auto: the sandbox where it can start")
    grade.add_argument("--allow-weak-isolation", action="store_true",
                       help="write --json even where the sandbox cannot start")
    grade.set_defaults(run=cmd_grade)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dlbook {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="versions, profile and Keras backend")
    info.set_defaults(run=cmd_info)

    budget = commands.add_parser("budget", help="the sizes and epochs each chapter trains with")
    budget.add_argument("chapter", nargs="?", help=f"one of {', '.join(config.chapters())}")
    budget.add_argument("--profile", choices=config.PROFILES, help="default: DLBOOK_PROFILE")
    budget.set_defaults(run=cmd_budget)

    data = commands.add_parser("data", help="load a dataset and show its train/val/test splits")
    data.add_argument("name", help="a dataset name, e.g. iris, digits, moons, mnist_subset")
    data.add_argument("--seed", type=int, default=config.DEFAULT_SEED, help="split seed")
    data.set_defaults(run=cmd_data)
    _add_grade_parser(commands)
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
