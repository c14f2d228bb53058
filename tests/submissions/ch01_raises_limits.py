"""Tries to lift its own memory and CPU limits before allocating: the limits stay."""

import resource

from solutions.ch01_neurons import *  # noqa: F403


def softmax(z):
    unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    resource.setrlimit(resource.RLIMIT_AS, unlimited)
    resource.setrlimit(resource.RLIMIT_CPU, unlimited)
    return [bytearray(10**9) for _ in range(100)]
