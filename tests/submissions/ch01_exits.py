"""Four ways to leave: sys.exit, os._exit, SIGKILL to itself, SIGKILL to its parent."""

import os
import signal
import sys

from solutions.ch01_neurons import *  # noqa: F403


def sigmoid(z):
    sys.exit(0)


def softmax(z):
    os._exit(0)


def binary_crossentropy(y, p):
    os.kill(os.getpid(), signal.SIGKILL)


def perceptron_predict(w, X):
    os.kill(os.getppid(), signal.SIGKILL)  # the process that started this worker
