"""The ``dlbook`` command: what this installation is, and what it ships.

    dlbook info                     versions, profile and Keras backend
    dlbook budget [CHAPTER]         the training sizes a chapter uses
    dlbook data NAME [--seed N]     load a dataset and show its splits
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
