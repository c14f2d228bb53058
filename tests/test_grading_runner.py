"""From what a worker left behind to outcomes and scores, without starting any process."""

import signal

import numpy as np
import pytest

from dlbook.grading import registry
from dlbook.grading.registry import ArrayExercise, Call, Outcome
from dlbook.grading.runner import grade_exercise, outcomes_from_run, score_call, stop_reason
from dlbook.grading.runtime.limits import Limits
from dlbook.grading.runtime.protocol import Called, ErrorInfo, Loaded, NotCallable
from dlbook.grading.supervisor import ExitInfo, Run

LIMITS = Limits(wall_s=2, cpu_s=3, memory_mb=100, output_mb=1)
LOADED = Loaded()


def _call(index, value):
    return Called(index, 0.1, value, [])


def test_frames_are_accepted_only_in_order():
    forged = [LOADED, _call(0, 1.0), _call(0, 2.0), _call(1, 3.0)]
    outcomes = outcomes_from_run(Run(forged, exit=ExitInfo(code=0)), 2, LIMITS, "f")
    assert outcomes[0].value == 1.0
    assert outcomes[1].status == "stopped" and "exited with code 0" in outcomes[1].message


def test_a_function_that_is_not_callable_is_not_defined():
    frames = [LOADED, NotCallable("int")]
    (outcome,) = outcomes_from_run(Run(frames), 1, LIMITS, "sigmoid")
    assert outcome.status == "not_defined"
    assert outcome.message == "`sigmoid` is defined but is a int, not a function"


@pytest.mark.parametrize("exit_info, run_fields, short, words", [
    (ExitInfo(signal=signal.SIGXCPU, cpu_s=3.0), {}, "CPU limit", "CPU-time limit of 3 s"),
    (ExitInfo(signal=signal.SIGKILL, cpu_s=3.5), {}, "CPU limit", "CPU-time limit"),
    (ExitInfo(signal=signal.SIGXFSZ), {}, "output limit", "output limit of 1 MiB"),
    (ExitInfo(signal=signal.SIGSEGV, maxrss_mb=99), {}, "killed", "SIGSEGV"),
    (ExitInfo(code=0), {"corrupt": "bad frame"}, "invalid result", "could not read its results: bad frame"),
    (ExitInfo(code=3), {"stderr": "Traceback: boom"}, "worker failed", "boom"),
    (ExitInfo(timed_out=True), {}, "time limit", "wall-clock limit of 2 s"),
])
def test_stop_reasons_are_short_in_the_table_and_clear_in_the_feedback(exit_info, run_fields,
                                                                        short, words):
    reason = stop_reason(Run(exit=exit_info, **run_fields), LIMITS)
    assert reason[0] == short and words in reason[1]


def test_an_error_names_its_type_message_and_the_limit_it_hit():
    error = ErrorInfo("MemoryError", "", "Traceback: ...")
    (outcome,) = outcomes_from_run(Run([LOADED, Called(0, 0.5, error=error)]), 1, LIMITS, "f")
    assert outcome.status == "error" and outcome.seconds == 0.5
    assert outcome.message == ("your function raised MemoryError (the memory limit is 100 MiB)\n"
                               "Traceback: ...")


@pytest.mark.parametrize("status, error", [("timeout", ValueError), (None, TypeError)])
def test_an_outcome_status_must_be_one_of_the_statuses(status, error):
    with pytest.raises(error, match="status must be one of"):
        Outcome(status)


def _exercise(**fields) -> ArrayExercise:
    defaults = dict(id="ch99.double", function="double", title="doubling", section="99_x#y",
                    hint="multiply by two", make_calls=lambda: [Call((np.ones(2),)),
                                                                Call((np.ones(3),), hidden=True)],
                    arg_names=("x",), reference="numpy:positive")
    return ArrayExercise(**{**defaults, **fields})


def test_a_value_no_check_anticipated_fails_with_the_reason():
    exercise = _exercise(parts=lambda value: {"a": value["a"]})  # a part lookup that can break
    (item,) = score_call(exercise, exercise.calls()[0], Outcome("ok", value=np.ones(2)), None)
    assert not item.passed and "the grader could not judge this value" in item.problems[0]


def test_a_structure_error_names_the_expected_structure():
    from dlbook.grading.compare import unpack

    exercise = _exercise(reference="builtins:tuple", parts=lambda v: unpack(v, ("a", "b")),
                         make_calls=lambda: [Call(([1.0, 2.0],))])
    (item,) = score_call(exercise, exercise.calls()[0], Outcome("ok", value=np.ones(2)), None)
    assert "output: expected a tuple of 2 (a, b), received an array" in item.problems[0]


def test_a_gradient_that_cannot_be_picked_is_left_to_the_comparison():
    exercise = _exercise(finite_differences=lambda args: [
        ("dx", lambda x: float(np.sum(x)), args[0], lambda value: value[5])])
    (item,) = score_call(exercise, exercise.calls()[0], Outcome("ok", value=np.ones(2)), None)
    assert item.passed  # numpy.positive(x) is x, and value[5] raised IndexError


def test_the_hidden_phase_is_skipped_when_the_budget_is_spent():
    exercise = _exercise()

    def execute(calls, budget):
        return Run([LOADED, _call(0, np.ones(2))], exit=ExitInfo(code=0, wall_s=budget.wall_s))

    result = grade_exercise(exercise, execute, None, LIMITS)
    assert [item.passed for item in result.items] == [True, False]
    assert result.items[1].problems == ("failed (hidden case: no details are shown)",)
    assert result.status == "partial"


def test_ids_and_function_names_are_unique():
    exercise = registry.get("ch01.sigmoid")
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(exercise)
    with pytest.raises(ValueError, match="already graded by ch01.sigmoid"):
        registry.register(_exercise(id="ch01.other", function="sigmoid"))
