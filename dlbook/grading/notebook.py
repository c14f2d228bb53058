"""``check("ch03.backward", backward)``: grade one function from a notebook or a script.

NumPy exercises run in a fork of the calling process, held to the same
limits as ``dlbook grade`` (the function is already in memory there, so a
fork is the one way to isolate it without its source): an infinite loop,
a memory bomb or ``os._exit`` costs the kernel nothing. Keras exercises call
the function in the calling process, because a fork of a process that has
already run TensorFlow deadlocks; the model it returns is still checked
the same way as by ``dlbook grade``.

Inside a grading worker (a notebook being graded that calls ``check``),
``check`` does nothing and returns None.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time

from dlbook.grading import registry
from dlbook.grading.report import ExerciseResult
from dlbook.grading.runner import grade_exercise
from dlbook.grading.runtime import codec, keras_checks, protocol, standin, worker
from dlbook.grading.runtime.limits import Limits
from dlbook.grading.runtime.protocol import Done, Loaded, VerifyJob
from dlbook.grading.supervisor import ExitInfo, Run, run_forked


class LocalServices:
    """The :class:`~dlbook.grading.registry.Services` of ``check()``: Keras verification in this
    process (the notebook's own Keras)."""

    def verify(self, job: VerifyJob, verify_limits: Limits) -> dict | str:
        return keras_checks.verify(job).answer()


def _fresh_arguments(calls) -> list[tuple]:
    """The calls' arguments as a worker sees them: decoded copies, fixtures built."""
    return [codec.decode(codec.encode(call.args), resolve_fixture=worker.resolve_fixture)
            for call in calls]


def _forked_execute(function):
    def execute(calls, budget: Limits) -> Run:
        def target(emit: worker.Emit) -> None:
            arguments = _fresh_arguments(calls)
            standin.install()
            emit(Loaded())
            worker.run_calls(function, arguments, emit)
            emit(Done())

        return run_forked(target, budget)

    return execute


def _in_process_execute(function):
    def execute(calls, budget: Limits) -> Run:
        frames = [Loaded()]
        out, err = io.StringIO(), io.StringIO()
        start = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # sent as data and read back, as from a worker: a model becomes its configuration
            worker.run_calls(function, _fresh_arguments(calls),
                             lambda frame: frames.append(protocol.decode(protocol.encode(frame))),
                             catch=(Exception, SystemExit))
        frames.append(Done())
        return Run(frames, out.getvalue(), err.getvalue(),
                   ExitInfo(code=0, wall_s=time.monotonic() - start))

    return execute


def check(exercise_id: str, function, *, limits: Limits | dict | None = None,
          show: bool = True) -> ExerciseResult | None:
    """Grade ``function`` as the answer to ``exercise_id``; show and return the result.

    ``limits`` overrides the exercise's limits (a :class:`Limits` or a dict
    such as ``{"wall_s": 5}``). In a terminal the report is printed (with
    rich); in Jupyter the returned result renders itself as HTML.
    """
    if os.environ.get(worker.WORKER_ENV):
        print(f"check({exercise_id!r}) is skipped while a submission is being graded")
        return None
    exercise = registry.get(exercise_id)
    if not callable(function):
        raise TypeError(f"function must be callable (your {exercise.function}), "
                        f"got {type(function).__name__}")
    worker_limits = (limits if isinstance(limits, Limits)
                     else exercise.limits.with_overrides(limits))
    execute = (_in_process_execute if exercise.needs_keras else _forked_execute)(function)
    result = grade_exercise(exercise, execute, LocalServices(), worker_limits)
    if show and not _in_jupyter():
        _print(result)
    return result


def _in_jupyter() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _print(result: ExerciseResult) -> None:
    try:
        from rich.console import Console
    except ImportError:  # rich is optional: plain text says the same
        print(result.text())
        return
    Console(highlight=False, soft_wrap=True).print(result)
