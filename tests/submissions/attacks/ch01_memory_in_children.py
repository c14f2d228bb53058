"""binary_crossentropy holds 1.2 GB in three forked children while its limit is 512 MiB.

The memory limit is ``RLIMIT_AS``, which holds each process, not the
exercise: every child forked inherits the same allowance. Three children each
allocate and touch ~400 MB, say so through a pipe and wait until all three
have, so the exercise's processes use about 1.2 GB at once. The function
returns the right loss only if that worked and raises otherwise.
Deserved: binary_crossentropy 0, the rest full marks.
"""

import os

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("binary_crossentropy",)

CHILDREN, BLOCK = 3, 400 * 2**20


def binary_crossentropy(y, p):
    report_r, report_w = os.pipe()
    release_r, release_w = os.pipe()
    pids = []
    for _ in range(CHILDREN):
        pid = os.fork()
        if pid == 0:  # a child: allocate, touch every page, report, hold it until released
            os.close(release_w)  # so that the parent's close alone releases us
            try:
                block = np.empty(BLOCK, dtype=np.uint8)
                block[::4096] = 1
                os.write(report_w, b"1")
            except MemoryError:
                os.write(report_w, b"0")
            os.read(release_r, 1)  # returns when the parent closes release_w
            os._exit(0)
        pids.append(pid)
    reports = b"".join(os.read(report_r, 1) for _ in range(CHILDREN))  # all three hold theirs now
    os.close(release_w)
    for pid in pids:
        os.waitpid(pid, 0)
    for fd in (report_r, report_w, release_r):
        os.close(fd)
    if reports != b"1" * CHILDREN:
        raise MemoryError(f"the children could not hold {CHILDREN} x {BLOCK >> 20} MiB: {reports}")
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)  # the right loss, as the book's
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
