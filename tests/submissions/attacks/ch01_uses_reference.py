"""softmax and binary_crossentropy hand in the book's own answers, past the import refusal.

softmax removes the worker's ``RefuseReferences`` finder from ``sys.meta_path``
and imports ``dlbook.activations``. binary_crossentropy does not import at all:
it finds ``solutions/ch01_neurons.py`` next to the ``dlbook`` package and
``exec``s it. Deserved: softmax and binary_crossentropy 0, the rest full marks.
"""

import os
import sys

import dlbook
from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("softmax", "binary_crossentropy")


def softmax(z):
    # the refusal is a finder in our own process: take it out, then import as usual
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "RefuseReferences"]
    import dlbook.activations

    return dlbook.activations.softmax(z)


def binary_crossentropy(y, p):
    # the reference solutions ship beside the package: run that file, call its function
    root = os.path.dirname(os.path.dirname(dlbook.__file__))
    path = os.path.join(root, "solutions", "ch01_neurons.py")
    namespace = {"__name__": "reference"}
    with open(path) as stream:
        exec(compile(stream.read(), path, "exec"), namespace)  # noqa: S102
    return namespace["binary_crossentropy"](y, p)
