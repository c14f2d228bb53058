"""The corpus of bad submissions scores exactly what it deserves, exercise by exercise.

Each file in ``tests/submissions/`` takes the correct chapter-1 functions
and breaks one or two; ``EXPECTED`` lists the exercises that must lose
points (all others keep full marks). The grader must neither crash nor hang.
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest
from corpus import ROOT, SUBMISSIONS, hand_in, hand_in_text

from dlbook.grading import registry
from dlbook.grading.runner import grade_sources
from dlbook.grading.sources import load_source

LIMITS = {"wall_s": 4.0, "cpu_s": 4.0, "memory_mb": 512, "output_mb": 1}
FULL = {e.id: e.points * sum(len(e.planned_checks(c)) for c in e.calls())
        for e in registry.of_chapter("ch01")}
ALL_ZERO = dict.fromkeys(FULL, 0)

EXPECTED = {
    "ch01_infinite_loop": {"ch01.softmax": 0},
    "ch01_sleeps": {"ch01.sigmoid": 3},  # its three public cases pass; the hidden ones time out
    "ch01_memory_bomb": {"ch01.sigmoid": 0, "ch01.softmax": 0},
    "ch01_exits": {"ch01.sigmoid": 0, "ch01.softmax": 0, "ch01.binary_crossentropy": 0,
                   "ch01.perceptron_predict": 0},
    "ch01_fake_output": {"ch01.sigmoid": 0},
    "ch01_print_flood": {"ch01.sigmoid_prime": 0},
    "ch01_monkeypatch": {"ch01.sigmoid": 0, "ch01.sigmoid_prime": 0},
    "ch01_always_equal": {"ch01.sigmoid": 0, "ch01.softmax": 0, "ch01.perceptron_predict": 0},
    "ch01_bad_values": {"ch01.sigmoid": 0, "ch01.sigmoid_prime": 0, "ch01.softmax": 0,
                        "ch01.binary_crossentropy": 0, "ch01.perceptron_predict": 0},
    "ch01_mutates_input": {"ch01.sigmoid": 0, "ch01.binary_crossentropy_grad": 4},
    "ch01_crash_at_import": ALL_ZERO,
    "ch01_partial": {**ALL_ZERO, "ch01.sigmoid": 6, "ch01.softmax": 5},
    "ch01_copies_reference": {"ch01.sigmoid": 0},
    "ch01_raises_limits": {"ch01.softmax": 0},
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    sources = [load_source(hand_in(SUBMISSIONS / f"{name}.py", folder)) for name in EXPECTED]
    start = time.monotonic()
    report = grade_sources(sources, limit_overrides=LIMITS)
    elapsed = time.monotonic() - start
    results = {}
    for result in report.results:
        results.setdefault(Path(result.source).stem, {})[result.exercise_id] = result
    return results, elapsed


def problems(result, public_only=True) -> str:
    return "\n".join(p for item in result.items if not (public_only and item.hidden)
                     for p in item.problems)


def test_the_corpus_covers_every_file_in_the_folder():
    files = {p.stem for p in SUBMISSIONS.glob("ch01_*.py")}
    assert files == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_submission_gets_exactly_the_score_it_deserves(corpus, name):
    scores = {exercise: result.score for exercise, result in corpus[0][name].items()}
    assert scores == {**FULL, **EXPECTED[name]}


@pytest.mark.slow
def test_the_grader_finishes_the_corpus_without_hanging(corpus):
    # two runaway exercises at 4 s each (room for a loaded machine), the rest in milliseconds
    assert corpus[1] < 40


@pytest.mark.slow
def test_runaways_stop_at_their_limit(corpus):
    loop = corpus[0]["ch01_infinite_loop"]["ch01.softmax"]
    assert loop.status in ("time limit", "CPU limit")
    assert loop.seconds < LIMITS["wall_s"] + 5.0  # stopped by a limit, not by luck
    sleeper = corpus[0]["ch01_sleeps"]["ch01.sigmoid"]
    assert sleeper.status == "partial"
    hidden = [item for item in sleeper.items if item.hidden]  # they ran out of time: no details
    assert all(item.problems == ("failed (hidden case: no details are shown)",) for item in hidden)


@pytest.mark.slow
def test_memory_bombs_fail_with_the_limit_in_the_message(corpus):
    bomb = corpus[0]["ch01_memory_bomb"]
    for exercise in ("ch01.sigmoid", "ch01.softmax"):
        text = problems(bomb[exercise])
        assert "MemoryError" in text and "the memory limit is 512 MiB" in text
    assert all(result.peak_memory_mb < 512 + 400 for result in bomb.values())


@pytest.mark.slow
def test_exits_and_kills_are_reported_as_such(corpus):
    exits = corpus[0]["ch01_exits"]
    assert "the code called sys.exit(0)" in problems(exits["ch01.sigmoid"])
    assert exits["ch01.softmax"].status == "exited"
    assert "exited with code 0" in problems(exits["ch01.softmax"])
    assert exits["ch01.binary_crossentropy"].status == "killed"
    assert "killed by SIGKILL" in problems(exits["ch01.binary_crossentropy"])
    # its parent is the sandbox's init, which a signal from inside cannot end
    assert "PermissionError" in problems(exits["ch01.perceptron_predict"]) or "received None" in (
        problems(exits["ch01.perceptron_predict"]))


@pytest.mark.slow
def test_printed_results_are_shown_but_never_believed_and_hidden_inputs_never_shown(corpus):
    fake = corpus[0]["ch01_fake_output"]["ch01.sigmoid"]
    assert fake.score == 0 and "total  31  31" in fake.stdout
    public = [c for c in registry.get("ch01.sigmoid").calls() if not c.hidden]
    assert fake.stdout.count("INPUT") == len(public)


@pytest.mark.slow
def test_output_floods_hit_the_output_limit(corpus):
    flood = corpus[0]["ch01_print_flood"]["ch01.sigmoid_prime"]
    assert "the output limit is 1 MiB" in problems(flood)
    assert len(flood.stdout) <= 100_000


MESSAGES = [  # (submission, exercise, what its public feedback says)
    # patching NumPy or the grader changes nothing in the grader
    ("ch01_monkeypatch", "ch01.sigmoid", "entries differ"),
    ("ch01_monkeypatch", "ch01.sigmoid_prime", "finite-difference check of g'(z)"),
    # objects that claim equality are not believed
    ("ch01_always_equal", "ch01.sigmoid", "AlwaysEqual; only None, numbers"),
    ("ch01_always_equal", "ch01.softmax", "entries differ"),
    ("ch01_always_equal", "ch01.perceptron_predict", "PretendArray"),
    # bad values each get their own message
    ("ch01_bad_values", "ch01.sigmoid", "NaN"),
    ("ch01_bad_values", "ch01.sigmoid_prime", "expected dtype float64, received float32"),
    ("ch01_bad_values", "ch01.softmax", "(transposed?)"),
    ("ch01_bad_values", "ch01.binary_crossentropy", "received None (is a `return` missing?)"),
    ("ch01_bad_values", "ch01.perceptron_predict", "received a list; wrap it in np.array"),
    # limits cannot be lifted from inside
    ("ch01_raises_limits", "ch01.softmax", "not allowed to raise maximum limit"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, exercise, message", MESSAGES)
def test_each_failure_gets_its_own_message(corpus, name, exercise, message):
    assert message in problems(corpus[0][name][exercise])


@pytest.mark.slow
def test_changing_an_input_in_place_fails_the_case_even_with_the_right_value(corpus):
    mutates = corpus[0]["ch01_mutates_input"]
    assert "changed its argument `z` in place" in problems(mutates["ch01.sigmoid"])
    assert "entries differ" not in problems(mutates["ch01.sigmoid"])
    failed = [item for item in mutates["ch01.binary_crossentropy_grad"].items if not item.passed]
    assert [item.name for item in failed] == ["hidden: p of exactly 0 and 1 (clipping)"]


@pytest.mark.slow
def test_a_crash_at_import_names_the_student_line_not_the_grader(corpus):
    crashed = corpus[0]["ch01_crash_at_import"]["ch01.sigmoid"]
    text = problems(crashed)
    assert crashed.status == "import error"
    assert "could not be loaded: it raised KeyError: 'bias'" in text
    assert 'ch01_crash_at_import.py", line 6' in text and 'BIAS = WEIGHTS["bias"]' in text
    assert "dlbook/grading" not in text and "worker.py" not in text


@pytest.mark.slow
def test_missing_functions_are_not_defined_and_the_rest_is_graded(corpus):
    partial = corpus[0]["ch01_partial"]
    assert partial["ch01.sigmoid_prime"].status == "not defined"
    assert "(it defines sigmoid, softmax)" in problems(partial["ch01.sigmoid_prime"])


@pytest.mark.slow
def test_importing_the_reference_is_refused(corpus):
    copied = corpus[0]["ch01_copies_reference"]["ch01.sigmoid"]
    assert copied.status == "uses the reference implementation"
    assert "dlbook.activations holds the book's reference implementations" in problems(copied)


def _grade_text(tmp_path, code: str, name="ch01_generated.py", **limits):
    path = tmp_path / name
    path.write_text(hand_in_text(code, tmp_path))
    return grade_sources([load_source(path)], limit_overrides={**LIMITS, **limits})


def test_a_syntax_error_is_an_import_error_with_the_line(tmp_path):
    report = _grade_text(tmp_path, "import numpy as np\n\ndef sigmoid(z)\n    return z\n")
    first = report.results[0]
    assert first.status == "import error" and report.score == 0
    assert "SyntaxError" in problems(first) and "def sigmoid(z)" in problems(first)


def test_a_file_that_hangs_while_loading_is_run_once_for_all_its_exercises(tmp_path):
    start = time.monotonic()
    report = _grade_text(tmp_path, "while True:\n    pass\n", wall_s=1.0, cpu_s=5.0)
    assert time.monotonic() - start < 10.0  # the 1 s limit ended it (timings: benchmarks/)
    assert {r.status for r in report.results} == {"time limit"}
    assert "while your code was loading" in problems(report.results[-1])


def test_the_cpu_limit_stops_a_busy_loop_before_the_wall_clock(tmp_path):
    code = ("from solutions.ch01_neurons import *  # noqa\n"
            "def softmax(z):\n    while True:\n        pass\n")
    report = _grade_text(tmp_path, code, wall_s=10.0, cpu_s=1.0)
    softmax = next(r for r in report.results if r.exercise_id == "ch01.softmax")
    assert softmax.status == "CPU limit" and softmax.seconds < 10.0  # before the wall clock
    assert report.score == sum(FULL.values()) - FULL["ch01.softmax"]


def test_a_submission_cannot_start_processes(tmp_path):
    code = ("import subprocess\nfrom solutions.ch01_neurons import *  # noqa\n"
            "def softmax(z):\n"
            "    subprocess.Popen(['sleep', '300'])\n")
    report = _grade_text(tmp_path, code)
    softmax = next(r for r in report.results if r.exercise_id == "ch01.softmax")
    assert "PermissionError: [Errno 1] Operation not permitted" in problems(softmax)
    assert report.score == sum(FULL.values()) - FULL["ch01.softmax"]


def test_notebooks_are_graded_from_their_definitions(tmp_path):
    cells = [
        ("markdown", "# My answers"),
        ("code", "%matplotlib inline\nimport numpy as np\nfrom dlbook.grading import check"),
        ("code", "def sigmoid(z):\n    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))"),
        ("code", "while True:  # an experiment that must not run while grading\n    pass"),
        ("code", "check('ch01.sigmoid', sigmoid)\nundefined_name + 1"),
        ("code", "SCALE = 2.0\ndef softmax(z):\n    return z * SCALE  # wrong"),
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": text,
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, text in cells]}
    path = tmp_path / "homework.ipynb"
    path.write_text(json.dumps(notebook))
    report = grade_sources([load_source(path)], limit_overrides=LIMITS)
    scores = {r.exercise_id: r.score for r in report.results}
    assert scores == {**ALL_ZERO, "ch01.sigmoid": 6}
    notes = report.results[0].notes
    assert any("cell 4, line 1: skipped" in note for note in notes)
    assert "entries differ" in problems(report.results[2])


def test_myst_notebooks_are_graded_too(tmp_path):
    path = tmp_path / "ch02_work.md"
    path.write_text("---\njupytext:\n  text_representation:\n    format_name: myst\n"
                    "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Work\n\n"
                    "```{code-cell} ipython3\nimport numpy as np\n\n"
                    "def gradient_step(x, gradient, learning_rate):\n"
                    "    return x - learning_rate * gradient\n```\n")
    report = grade_sources([load_source(path)], limit_overrides=LIMITS)
    scores = {r.exercise_id: r.score for r in report.results}
    assert scores["ch02.gradient_step"] == 4 and sum(scores.values()) == 4


def test_the_grader_never_imports_tensorflow_for_numpy_exercises():
    code = ("import sys\nfrom dlbook.grading.runner import grade_path\n"
            "report = grade_path('solutions/ch03_backprop.py')\n"
            "assert report.score == report.max_score\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
