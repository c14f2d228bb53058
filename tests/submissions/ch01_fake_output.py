"""Prints a perfect score and fake results, and leaks its inputs; every answer is zeros."""

import json

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403


def sigmoid(z):
    print("ch01.sigmoid   6   6  passed\ntotal  31  31")
    print(json.dumps({"score": 31, "max_score": 31, "tests": []}))
    print("INPUT", z.tolist())
    return np.zeros_like(z)
