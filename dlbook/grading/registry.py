"""The exercise registry: what each exercise asks for and how it is scored.

An :class:`Exercise` has an id (``"ch03.backward"``), the name of the
function the student writes, the book section it comes from, a hint, a
list of :class:`Call` s (argument tuples generated from fixed seeds, public
or hidden) and a way to judge what the function returned. Each scored check
is worth ``points``. The exercise sets live in :mod:`dlbook.grading.checks`,
one module per chapter, and register themselves when that package loads.

References are named as ``"module:function"`` strings and imported only when
a case is judged, so listing the exercises imports neither the NumPy
references nor Keras. What a check may ask of the grader while it judges is
the :class:`Services` protocol.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

import numpy as np

from dlbook import validation
from dlbook.grading import compare as cmp
from dlbook.grading.runtime.limits import NUMPY_LIMITS, Limits
from dlbook.grading.runtime.protocol import ErrorInfo, VerifyJob

# The published book (``html.baseurl`` in _config.yml): feedback links work from any notebook.
BOOK_URL = "https://dlbook.github.io/dlbook/book/{page}.html"

OutcomeStatus = Literal["ok", "error", "not_implemented", "not_defined", "import_error",
                        "unencodable", "stopped", "not_run", "reference"]
OUTCOME_STATUSES = get_args(OutcomeStatus)


@dataclass(frozen=True)
class Call:
    """One call of the student's function: its arguments and whether the case is hidden."""

    args: tuple
    hidden: bool = False
    label: str = ""


@dataclass(frozen=True)
class Outcome:
    """What happened when the student's function was called on one :class:`Call`.

    ``status`` is ``"ok"`` (``value`` holds the result, ``args_after`` the
    arguments after the call) or a failure: ``"error"`` (``error`` describes
    the exception), ``"not_implemented"``, ``"not_defined"``,
    ``"import_error"``, ``"unencodable"``, ``"stopped"`` (the process ended
    or was ended during this call; ``value`` is then a short status such as
    ``"time limit"``), ``"not_run"``, ``"reference"`` (it used the book's
    reference implementation); ``message`` explains.
    """

    status: OutcomeStatus
    value: object = None
    args_after: object = None
    error: ErrorInfo | None = None
    message: str = ""
    seconds: float = 0.0

    def __post_init__(self):
        validation.choice("status", self.status, OUTCOME_STATUSES)


@dataclass(frozen=True)
class Check:
    """A scored check of one call: its name, the problems found (none = passed), visibility."""

    name: str
    problems: tuple[str, ...] = ()
    hidden: bool = False


class Services(Protocol):
    """What a check may ask of the grader while it judges a call (:meth:`Exercise.judge`).

    ``dlbook grade`` verifies in a sandboxed worker (:class:`dlbook.grading.runner.Grader`);
    ``check()`` in a notebook, in the notebook
    (:class:`dlbook.grading.notebook.LocalServices`).
    """

    def verify(self, job: VerifyJob, verify_limits: Limits) -> dict | str:
        """The verifier's measurements of a returned model, or why there are none."""


def resolve(target: str) -> Callable:
    """The object named by ``"package.module:attribute"``."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def shape_label(names: Sequence[str], args: tuple) -> str:
    """``"z (5, 3), alpha 0.1"``: the arguments of a case, by shape or value."""
    parts = []
    for name, arg in zip(names, args, strict=False):
        if isinstance(arg, np.ndarray):
            parts.append(f"{name} {arg.shape}")
        elif isinstance(arg, (list, tuple)) and arg and isinstance(arg[0], np.ndarray):
            parts.append(f"{name} [{', '.join(str(a.shape) for a in arg)}]")
        elif isinstance(arg, (int, float, str)):
            parts.append(f"{name} {arg!r}")
    return ", ".join(parts)


@dataclass
class Exercise:
    """An exercise: its identity, its calls, and (in subclasses) how calls are judged."""

    id: str
    function: str
    title: str
    section: str  # "03_backpropagation#the-backward-pass": page and anchor in the book
    hint: str
    make_calls: Callable[[], list[Call]]
    arg_names: tuple[str, ...] = ()
    points: float = 1.0
    limits: Limits = NUMPY_LIMITS
    needs_keras: bool = False

    @property
    def chapter(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def link(self) -> str:
        page, _, anchor = self.section.partition("#")
        return BOOK_URL.format(page=page) + (f"#{anchor}" if anchor else "")

    def calls(self) -> list[Call]:
        """The seeded calls, public first; labels filled in from the argument shapes."""
        calls = self.make_calls()
        ordered = [c for c in calls if not c.hidden] + [c for c in calls if c.hidden]
        return [c if c.label else Call(c.args, c.hidden, shape_label(self.arg_names, c.args))
                for c in ordered]

    def planned_checks(self, call: Call) -> list[Check]:
        """The scored checks one call yields, as yet unjudged (one per call by default)."""
        return [Check(call.label)]

    def judge(self, call: Call, outcome: Outcome, services: Services) -> list[Check]:
        """The checks of a call whose function returned normally (``outcome.status == "ok"``)."""
        raise NotImplementedError


@dataclass
class ArrayExercise(Exercise):
    """A NumPy exercise: compare with a reference, check inputs, optionally check gradients.

    ``reference`` (``"module:function"``) is called with copies of the same
    arguments. ``parts(value) -> {name: part}`` splits a structured answer
    (a tuple holding a cache, say) into named parts compared one by one; it
    raises :class:`dlbook.grading.compare.StructureError` for a malformed one.
    ``finite_differences(args)`` (gradient exercises) returns ``(label, f, x,
    pick)`` tuples: ``pick(value)`` must be the gradient of the scalar
    function ``f`` at ``x``.
    """

    reference: str = ""
    tolerance: cmp.Tolerance = field(default_factory=cmp.Tolerance)
    output_name: str = "output"
    parts: Callable | None = None
    finite_differences: Callable | None = None
    gradient_tolerance: float = 1e-6

    def expected(self, call: Call):
        return resolve(self.reference)(*copy.deepcopy(call.args))

    def judge(self, call: Call, outcome: Outcome, services: Services) -> list[Check]:
        problems = self.value_problems(self.expected(call), outcome.value)
        problems += cmp.changed_inputs(call.args, outcome.args_after, self.arg_names)
        problems += self.gradient_problems(call, outcome.value)
        return [Check(call.label, tuple(problems))]

    def value_problems(self, expected, received) -> list[str]:
        if self.parts is None:
            return cmp.compare(expected, received, self.tolerance, self.output_name)
        try:
            got = self.parts(received)
        except cmp.StructureError as error:
            return [f"{self.output_name}: {error}"]
        problems = []
        for name, want in self.parts(expected).items():
            problems += cmp.compare(want, got[name], self.tolerance, name)
        return problems

    def gradient_problems(self, call: Call, value) -> list[str]:
        if self.finite_differences is None:
            return []
        problems = []
        for label, function, x, pick in self.finite_differences(copy.deepcopy(call.args)):
            try:
                gradient = pick(value)
            except (TypeError, IndexError, KeyError, ValueError):
                continue  # the shape of the answer is wrong: compare() has said so
            problems += cmp.gradient_problems(function, x, gradient, label,
                                              self.gradient_tolerance)
        return problems


_EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise``; ids are unique, and so are function names within a chapter."""
    if exercise.id in _EXERCISES:
        raise ValueError(f"exercise id {exercise.id!r} is registered twice")
    clash = [e.id for e in _EXERCISES.values()
             if e.chapter == exercise.chapter and e.function == exercise.function]
    if clash:
        raise ValueError(f"function {exercise.function!r} of {exercise.id} is already graded "
                         f"by {clash[0]}")
    _EXERCISES[exercise.id] = exercise
    return exercise


def exercises() -> dict[str, Exercise]:
    """Every exercise by id, chapter by chapter in the order each chapter defines them."""
    from dlbook.grading import checks

    checks.load()
    return {e.id: e for e in sorted(_EXERCISES.values(), key=lambda e: e.chapter)}


def get(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``; a ValueError listing the known ids if it is not one.

    Only the set of the chapter the id names (``ch03`` for ``"ch03.backward"``) is imported.
    """
    if isinstance(exercise_id, str):
        of_chapter(exercise_id.partition(".")[0])
        if exercise_id in _EXERCISES:
            return _EXERCISES[exercise_id]
    known = exercises()
    return known[validation.choice("exercise_id", exercise_id, known)]


def of_chapter(chapter: str) -> list[Exercise]:
    """The exercises of ``chapter``, importing its set alone: a chapter that lists its
    exercises depends on its own checks, not on every chapter's (the build's cache sees that)."""
    from dlbook.grading import checks

    if chapter in checks.CHAPTERS:
        checks.load((chapter,))
    return [e for e in _EXERCISES.values() if e.chapter == chapter]
