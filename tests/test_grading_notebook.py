"""``check(exercise_id, function)`` from a notebook: isolated, fast, readable."""

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dlbook.grading import Limits, check

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "solutions"))
import ch03_backprop  # noqa: E402 (the reference solutions, as a student's notebook has them)


def test_a_correct_numpy_answer_passes_with_a_compact_report(capsys):
    result = check("ch03.backward", ch03_backprop.backward)  # its speed: benchmarks/grading_figures.py
    assert result.score == result.max_score == 4 and result.status == "passed"
    out = capsys.readouterr().out
    assert "ch03.backward" in out and "4/4  passed" in out
    assert repr(result) == "<ExerciseResult ch03.backward: 4/4 passed>"


def test_a_wrong_gradient_gets_errors_and_the_finite_difference_verdict():
    def backward(weights, cache, y):
        grads = ch03_backprop.backward(weights, cache, y)
        return [grads[0] * 1.01] + grads[1:]

    result = check("ch03.backward", backward, show=False)
    text = result.text()
    assert result.score == 0
    assert "grads[0]:" in text and "max relative error 0.01" in text
    assert "finite-difference check of dJ/dW(1)" in text
    assert "hint:" in text and "book/03_backpropagation.html#the-algorithm" in text


def test_an_infinite_loop_costs_the_kernel_nothing():
    def forward(weights, X):
        while True:
            pass

    start = time.monotonic()
    result = check("ch03.forward", forward, limits={"wall_s": 1.0}, show=False)
    assert time.monotonic() - start < 10.0  # the 1 s limit ended it
    assert result.status in ("time limit", "CPU limit") and result.score == 0


@pytest.mark.parametrize("leave", [lambda: os._exit(0),
                                   lambda: os.kill(os.getpid(), signal.SIGKILL),
                                   lambda: sys.exit(3)])
def test_exiting_or_killing_itself_ends_only_the_worker(leave):
    def output_delta(y_hat, y):
        leave()

    result = check("ch03.output_delta", output_delta, show=False)
    assert result.score == 0 and result.status in ("exited", "killed", "failed")


def test_a_memory_bomb_fails_inside_the_limit():
    def hidden_delta(delta_next, W, z):
        return np.ones((10**5, 10**5))

    result = check("ch03.hidden_delta", hidden_delta, limits=Limits(memory_mb=256), show=False)
    assert "MemoryError" in result.text() and "the memory limit is 256 MiB" in result.text()


def test_changing_the_cache_in_place_is_caught():
    def backward(weights, cache, y):
        grads = ch03_backprop.backward(weights, cache, y)
        cache.a_bias[0][0, 0] = 5.0
        return grads

    result = check("ch03.backward", backward, show=False)
    assert result.score == 0 and "`cache.a_bias[0]` in place" in result.text()


def test_copying_the_reference_is_refused_here_too():
    def output_delta(y_hat, y):
        from dlbook.backprop import output_delta as reference

        return reference(y_hat, y)

    result = check("ch03.output_delta", output_delta, show=False)
    assert result.status == "uses the reference implementation" and result.score == 0
    assert "dlbook.backprop holds the book's reference implementations" in result.text()


def test_the_html_report_escapes_what_the_student_wrote():
    def forward(weights, X):
        raise ValueError("<script>alert(1)</script>")

    page = check("ch03.forward", forward, show=False)._repr_html_()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "<table>" in page and "read the section" in page


def test_check_does_nothing_inside_a_grading_worker(monkeypatch, capsys):
    monkeypatch.setenv("DLBOOK_GRADING_WORKER", "1")
    assert check("ch03.forward", ch03_backprop.forward) is None
    assert "skipped while a submission is being graded" in capsys.readouterr().out


@pytest.mark.parametrize("args, error, message", [
    (("ch99.nothing", print), ValueError, "exercise_id must be one of"),
    ((3, print), TypeError, "exercise_id must be one of"),
    (("ch03.forward", "forward"), TypeError, "function must be callable"),
])
def test_bad_arguments_are_named(args, error, message):
    with pytest.raises(error, match=message):
        check(*args)


@pytest.mark.parametrize("limits, message", [({"wall": 1}, "limit overrides must be among"),
                                             ({"wall_s": -1}, "wall_s must be a positive"),
                                             ({"cpu_s": "1"}, "cpu_s must be a number")])
def test_bad_limits_are_named(limits, message):
    with pytest.raises((ValueError, TypeError), match=message):
        check("ch03.forward", ch03_backprop.forward, limits=limits)
