"""Grading: run an exercise's calls in workers, judge what came back, score it.

Each exercise runs in two workers: one for the public cases, then one for the
hidden cases, so the hidden inputs are never in a process whose output the
student sees. Of the hidden cases only pass/fail and points are reported:
nothing the submission printed, raised or wrote while running them. Both
workers share the exercise's limits: the hidden worker gets what the public
one left of the wall-clock and CPU budget. A file that cannot even be
imported (it raises, hangs, or kills itself while loading) is run once;
every exercise of it gets that verdict. A worker that leaves results the
grader cannot read (:func:`dlbook.grading.supervisor.read_run`) gets "invalid
result" for its exercise, and the grading of the others goes on.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from dlbook.grading.isolation import SANDBOX_SUBMISSION, describe
from dlbook.grading.registry import Call, Exercise, Outcome, Services
from dlbook.grading.report import ExerciseResult, ExerciseStatus, GradeReport, Item, StopReason
from dlbook.grading.runtime.limits import Limits
from dlbook.grading.runtime.protocol import (
    Called,
    ErrorInfo,
    ImportFailed,
    Loaded,
    Missing,
    NotCallable,
    StudentJob,
    Verified,
    VerifyJob,
)
from dlbook.grading.sources import StudentSource, find_sources
from dlbook.grading.supervisor import Run, Supervisor

MIN_BUDGET_S = 0.05
HIDDEN_FAILURE = "failed (hidden case: no details are shown)"
Execute = Callable[[list[Call], Limits], Run]


# ---------------------------------------------------------------------------
# From frames to outcomes


def outcomes_from_run(run: Run, n_calls: int, worker_limits: Limits,
                      function: str) -> list[Outcome]:
    """One :class:`Outcome` per call from what a worker left behind.

    Frames are accepted only in order (call 0, 1, ...); a submission that
    writes extra or forged frames can only describe its own calls.
    """
    if run.corrupt:
        short, reason = stop_reason(run, worker_limits)
        return [Outcome("stopped", value=short, message=reason)] * n_calls
    first = run.frames[0] if run.frames else None
    if isinstance(first, ImportFailed):
        return [_import_error(first.error)] * n_calls
    loaded = isinstance(first, Loaded)
    second = run.frames[1] if loaded and len(run.frames) > 1 else None
    if isinstance(second, (Missing, NotCallable)):
        return [Outcome("not_defined", message=_missing_message(second, function))] * n_calls
    outcomes = []
    for frame in run.frames[1:] if loaded else []:
        if len(outcomes) == n_calls:
            return outcomes
        if not isinstance(frame, Called) or frame.index != len(outcomes):
            break
        outcomes.append(_call_outcome(frame, function, worker_limits))
    if len(outcomes) == n_calls:
        return outcomes
    where = "during this call" if loaded else "while your code was loading"
    short, reason = stop_reason(run, worker_limits)
    outcomes.append(Outcome("stopped", value=short, message=f"{reason} ({where})"))
    rest = Outcome("not_run", message="not run: an earlier case ended the process")
    return outcomes + [rest] * (n_calls - len(outcomes))


def _import_error(error: ErrorInfo) -> Outcome:
    if error.reference:
        return _reference_outcome(error)
    return Outcome("import_error", error=error,
                   message=f"your code could not be loaded: it raised {error.type}"
                           f"{_colon(error.message)}\n{error.traceback}")


def _missing_message(frame: Missing | NotCallable, function: str) -> str:
    if isinstance(frame, NotCallable):
        return f"`{function}` is defined but is a {frame.type}, not a function"
    return (f"`{function}` is not defined in your code"
            + (f" (it defines {', '.join(frame.defined)})" if frame.defined else ""))


def _reference_outcome(error: ErrorInfo) -> Outcome:
    return Outcome("reference", error=error, message=(
        f"your code uses the book's reference implementation: {error.message}; "
        "such a submission scores no points"))


def _call_outcome(frame: Called, function: str, worker_limits: Limits) -> Outcome:
    error, seconds = frame.error, frame.seconds
    if error is not None:
        if error.reference:
            return _reference_outcome(error)
        if error.not_implemented:
            return Outcome("not_implemented", error=error, seconds=seconds, message=(
                f"not implemented yet: `{function}` raises NotImplementedError; replace the "
                "`raise NotImplementedError` line with your code"))
        return Outcome("error", error=error, seconds=seconds, message=(
            f"your function raised {error.type}{_colon(error.message)}"
            f"{_limit_note(error, worker_limits)}\n{error.traceback}").rstrip())
    if frame.unencodable is not None:
        return Outcome("unencodable", seconds=seconds,
                       message=f"your function returned something that cannot be graded: "
                               f"{frame.unencodable}")
    return Outcome("ok", value=frame.value, args_after=frame.args_after, seconds=seconds)


def _colon(message: str) -> str:
    return f": {message}" if message else ""


def _limit_note(error: ErrorInfo, worker_limits: Limits) -> str:
    """What a limit-shaped exception means here."""
    if error.type == "MemoryError":
        return f" (the memory limit is {worker_limits.memory_mb:g} MiB)"
    if "File too large" in error.message:
        return f" (the output limit is {worker_limits.output_mb:g} MiB: printing in a loop?)"
    return ""


def stop_reason(run: Run, worker_limits: Limits) -> tuple[StopReason, str]:
    """Why a worker stopped before finishing: a short status and words a student can act on."""
    info = run.exit
    if info.timed_out:
        return "time limit", (f"did not finish within the wall-clock limit of "
                              f"{worker_limits.wall_s:g} s")
    # SIGXCPU comes from RLIMIT_CPU; SIGKILL at the hard limit. The kernel's CPU accounting is
    # coarser than the limit check, so the time read back may fall a little short of the limit.
    if info.signal == signal.SIGXCPU or (
            info.signal == signal.SIGKILL and info.cpu_s >= 0.9 * worker_limits.cpu_s):
        return "CPU limit", f"used more than the CPU-time limit of {worker_limits.cpu_s:g} s"
    if info.signal == signal.SIGXFSZ:
        return "output limit", (f"wrote more than the output limit of "
                                f"{worker_limits.output_mb:g} MiB (printing in a loop?)")
    if info.signal is not None:
        name = signal.Signals(info.signal).name
        return "killed", (f"the process was killed by {name} (os.kill? a crash in native code? "
                          f"peak memory {info.maxrss_mb:.0f} MiB; the limit is "
                          f"{worker_limits.memory_mb:g} MiB beyond the libraries)")
    if run.corrupt:
        return "invalid result", f"the grader could not read its results: {run.corrupt}"
    if info.code == 3 and run.stderr:
        return "worker failed", f"the worker failed: {run.stderr.strip()[-500:]}"
    return "exited", f"the process exited with code {info.code} (os._exit?)"


# ---------------------------------------------------------------------------
# Grading one exercise


def grade_exercise(exercise: Exercise, execute: Execute, services: Services,
                   worker_limits: Limits) -> ExerciseResult:
    """Run the public then the hidden calls of ``exercise`` through ``execute`` and score them."""
    start = time.monotonic()
    calls = exercise.calls()
    outcomes, notes, budget, public_run, peak = [], [], worker_limits, None, 0.0
    for hidden in (False, True):
        group = [call for call in calls if call.hidden == hidden]
        if not group:
            continue
        if budget is None:
            outcomes += [Outcome("not_run", message="not run: the exercise used up its time "
                                                    "limit on the public cases")] * len(group)
            continue
        run = execute(group, budget)
        outcomes += outcomes_from_run(run, len(group), budget, exercise.function)
        peak = max(peak, run.exit.maxrss_mb)
        if not hidden:
            public_run = run
            notes += _load_notes(run)
        budget = _remaining(budget, run)
    items = []
    for call, outcome in zip(calls, outcomes, strict=True):
        items += score_call(exercise, call, outcome, services)
    return ExerciseResult(
        exercise.id, exercise.function, exercise.title, exercise.link, exercise.hint, items,
        status(items, outcomes), notes, public_run.stdout if public_run else "",
        public_run.stderr if public_run else "", time.monotonic() - start, peak)


def _load_notes(run: Run) -> list[str]:
    return list(run.frames[0].notes) if run.frames and isinstance(run.frames[0], Loaded) else []


def _remaining(budget: Limits, run: Run) -> Limits | None:
    wall = budget.wall_s - run.exit.wall_s
    cpu = budget.cpu_s - run.exit.cpu_s
    if wall < MIN_BUDGET_S or cpu < MIN_BUDGET_S:
        return None
    return replace(budget, wall_s=wall, cpu_s=cpu)


def score_call(exercise: Exercise, call: Call, outcome: Outcome,
               services: Services) -> list[Item]:
    """The scored items of one call: judged if it returned, all failed with the reason if not."""
    if outcome.status == "ok":
        try:
            checks = exercise.judge(call, outcome, services)
        except Exception as error:  # noqa: BLE001 (a value no check anticipated)
            reason = f"the grader could not judge this value: {type(error).__name__}: {error}"
            checks = [replace(check, problems=(reason,)) for check in exercise.planned_checks(call)]
    else:
        checks = [replace(check, problems=(outcome.message,))
                  for check in exercise.planned_checks(call)]
    items = []
    for check in checks:
        hidden = call.hidden or check.hidden
        problems = (HIDDEN_FAILURE,) if hidden and check.problems else check.problems
        items.append(Item(f"hidden: {check.name}" if hidden else check.name,
                          0.0 if check.problems else exercise.points, exercise.points, hidden,
                          problems))
    return items


def status(items: list[Item], outcomes: list[Outcome]) -> ExerciseStatus:
    """One word or phrase for the table: passed, partial, failed, or why nothing ran."""
    if all(item.passed for item in items):
        return "passed"
    kinds = {outcome.status for outcome in outcomes}
    if "reference" in kinds:
        return "uses the reference implementation"
    for kind, word in (("import_error", "import error"), ("not_defined", "not defined")):
        if kinds == {kind}:
            return word
    if kinds <= {"not_implemented", "not_run"} and "not_implemented" in kinds:
        return "not implemented yet"
    if any(item.passed for item in items):
        return "partial"
    stopped = [outcome.value for outcome in outcomes if outcome.status == "stopped"]
    if stopped:
        return stopped[0]
    if any(o.error and o.error.type == "MemoryError" for o in outcomes):
        return "memory limit"
    return "failed"


# ---------------------------------------------------------------------------
# Grading files


class Grader:
    """Grades student sources, each exercise in isolated workers (use ``with``); the
    :class:`~dlbook.grading.registry.Services` its checks use.

    ``limit_overrides`` (``{"wall_s": 5, ...}``) replaces fields of every
    exercise's limits; ``isolation`` is ``"auto"``, ``"bubblewrap"`` or
    ``"processes"`` (:func:`dlbook.grading.isolation.choose`).
    """

    def __init__(self, limit_overrides: dict | None = None, isolation: str = "auto"):
        self.limit_overrides = limit_overrides or {}
        Limits().with_overrides(self.limit_overrides)  # validate now, name the bad key
        self.supervisor = Supervisor(isolation)
        self._unloadable: dict[str, Run] = {}

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.supervisor.close()

    @property
    def isolation(self) -> dict:
        return describe(self.supervisor.isolation)

    def grade(self, source: StudentSource, exercise: Exercise) -> ExerciseResult:
        worker_limits = exercise.limits.with_overrides(self.limit_overrides)

        def execute(calls: list[Call], budget: Limits) -> Run:
            return self._run(source, exercise, calls, budget)

        result = grade_exercise(exercise, execute, self, worker_limits)
        result.source = source.label
        return result

    def _run(self, source: StudentSource, exercise: Exercise, calls: list[Call],
             budget: Limits) -> Run:
        if source.label in self._unloadable:
            return self._unloadable[source.label]
        sandboxed = self.supervisor.isolation.full
        job = StudentJob(source.for_worker(SANDBOX_SUBMISSION if sandboxed else None),
                         exercise.function, tuple(call.args for call in calls))
        kind = "keras" if exercise.needs_keras else "numpy"
        run = self.supervisor.run(job, kind, budget, source.module_files() if sandboxed else [])
        # a file that cannot load fails every exercise the same way; a hidden run's text is
        # never passed on to another exercise's public feedback
        public = not any(call.hidden for call in calls)
        unloaded = not run.frames or isinstance(run.frames[0], ImportFailed)
        if public and unloaded and not run.corrupt:
            self._unloadable[source.label] = run
        return run

    def verify(self, job: VerifyJob, verify_limits: Limits) -> dict | str:
        """Run a trusted Keras verification; its result dict, or why it failed."""
        run = self.supervisor.run(job, "keras", verify_limits)
        if run.frames and isinstance(run.frames[0], Verified):
            return run.frames[0].answer()
        return f"verification stopped: {stop_reason(run, verify_limits)[1]}"


def grade_sources(sources: list[StudentSource], exercise_ids: list[str] | None = None,
                  limit_overrides: dict | None = None, isolation: str = "auto",
                  workers: int | None = None) -> GradeReport:
    """Grade every targeted exercise of every source; see :meth:`StudentSource.targets`.

    Exercises are graded ``workers`` at a time (default: one per core), each
    in its own sandboxes; the report keeps their order.
    """
    start = time.monotonic()
    plan = [(source, exercise) for source in sources for exercise in source.targets(exercise_ids)]
    with Grader(limit_overrides, isolation) as grader, ThreadPoolExecutor(
            workers or os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda pair: grader.grade(*pair), plan))
        used = grader.isolation
    return GradeReport([str(Path(s.label)) for s in sources], results, time.monotonic() - start,
                       used)


def grade_path(path, exercise_ids: list[str] | None = None, limit_overrides: dict | None = None,
               isolation: str = "auto", workers: int | None = None) -> GradeReport:
    """Grade the file, folder or notebook at ``path`` (see :func:`find_sources`)."""
    return grade_sources(find_sources(path), exercise_ids, limit_overrides, isolation, workers)
