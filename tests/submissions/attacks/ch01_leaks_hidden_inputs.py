"""sigmoid_prime tries to get its hidden inputs shown in the feedback of the exercises after it.

Its public cases have the shapes the feedback lists, (5,) and (3, 4); any
other input is a hidden case. There it writes its whole input (``LEAK[...]``)
to stdout and stderr, empties its result file and exits with code 3. A
worker that leaves no frame looks like a file that cannot be loaded; the
grader before the sandbox kept that run and replayed it, stderr included, as
the public run of every later exercise, whose visible tests then read "the
worker failed: LEAK[...]". In public cases it raises, with the input in the
message (shown: the student knows those inputs).
Deserved: sigmoid_prime 0, the rest full marks.
"""

import os
import sys

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("sigmoid_prime",)
PUBLIC_SHAPES = ((5,), (3, 4))


def sigmoid_prime(z):
    leak = f"LEAK[{np.array2string(np.asarray(z), threshold=sys.maxsize)}]"
    if np.shape(z) in PUBLIC_SHAPES:
        raise ValueError(leak)
    print(leak, flush=True)
    print(leak, file=sys.stderr, flush=True)
    for fd in range(3, 64):  # the result file is one of the open descriptors: leave no frame
        try:
            os.ftruncate(fd, 0)
        except OSError:
            continue
    os._exit(3)
