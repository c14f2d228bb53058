"""The ``dlbook`` a graded submission sees: ``dlbook.grading.check``, which does nothing, and no more.

In the sandbox the real package is not there at all. This stand-in keeps a
notebook whose first cell imports ``check`` loadable, and turns an import of
the book's own modules (or of ``solutions``) into an error that says why;
the grader reports it as "uses the reference implementation". Outside the
sandbox (``check()`` in a notebook, or grading without the sandbox) the same
finder is all that refuses those modules: a deterrent there, not a barrier.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

PROVIDED = ("dlbook", "dlbook.grading")


def is_reference_module(name: str) -> bool:
    """True for ``solutions...`` and every ``dlbook`` module but ``dlbook.grading`` and its parts."""
    parts = str(name).split(".")
    if parts[0] == "solutions":
        return True
    return parts[0] == "dlbook" and len(parts) > 1 and parts[1] != "grading"


def check(exercise_id, function=None, **options):
    """Does nothing while a submission is graded: the grader runs the checks itself."""
    print(f"check({exercise_id!r}) is skipped while a submission is being graded")


class ReferenceImportError(ModuleNotFoundError):
    """An import of the book's reference implementations while a submission is graded."""


class StandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Provides ``dlbook`` and ``dlbook.grading`` (with :func:`check`); refuses the reference modules."""

    def find_spec(self, name, path=None, target=None):
        if is_reference_module(name):
            raise ReferenceImportError(
                f"{name} holds the book's reference implementations and is not available while "
                "your code is graded; write the function yourself with NumPy (and Keras for the "
                "Keras exercises)", name=name)
        if name in PROVIDED:
            return importlib.util.spec_from_loader(name, self, is_package=name == "dlbook")
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__doc__ = "dlbook while a submission is graded: only dlbook.grading.check, a no-op."
        if module.__name__ == "dlbook.grading":
            module.check = check


def install() -> None:
    """Put the stand-in first on ``sys.meta_path`` and forget reference modules already imported."""
    for name in [name for name in sys.modules if is_reference_module(name)]:
        del sys.modules[name]
    sys.meta_path.insert(0, StandIn())
