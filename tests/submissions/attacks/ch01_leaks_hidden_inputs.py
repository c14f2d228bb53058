"""sigmoid_prime gets its hidden inputs shown in the feedback of the exercises graded after it.

On every call it raises an exception whose message is its whole input
(``LEAK[...]``). Raised in a hidden case, that message is never shown; so in
the hidden worker (it knows which one it is from a marker with the public worker's
pid in the grader's scratch folder) it also writes the message to stderr and
stdout, empties its result file and exits with code 3. A worker that leaves
no frame looks to the grader like a file that cannot be loaded: it keeps that
run and replays it, stderr and stdout included, as the public run of every
later exercise, whose visible tests then read "the worker failed: LEAK[...]".
Deserved: sigmoid_prime 0, the rest full marks.
"""

import os
import sys

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("sigmoid_prime",)


def sigmoid_prime(z):
    leak = f"LEAK[{np.array2string(np.asarray(z), threshold=sys.maxsize)}]"
    # fd 1 is .../dlbook-grading-XXXX/<this run>/stdout; the folder above is shared by all runs
    scratch = os.path.dirname(os.path.dirname(os.readlink("/proc/self/fd/1")))
    marker = os.path.join(scratch, "sigmoid_prime-public-worker-was-here")
    if not os.path.exists(marker):  # the first worker is the public one
        with open(marker, "w") as stream:
            stream.write(str(os.getpid()))
    with open(marker) as stream:
        if stream.read() == str(os.getpid()):  # public: the plain raise is shown anyway
            raise ValueError(leak)
    # we are the hidden worker: say it on stdout and stderr, leave no frame, exit with code 3
    print(leak, flush=True)
    print(leak, file=sys.stderr, flush=True)
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").endswith("/result"):
                os.ftruncate(int(fd), 0)
        except OSError:
            continue  # the descriptor listdir itself used, closed by now
    os._exit(3)
