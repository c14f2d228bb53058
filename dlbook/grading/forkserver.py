"""A fork server: imports the libraries once, then forks one worker per request.

Started by :class:`dlbook.grading.sandbox.ForkServer` as
``python -m dlbook.grading.forkserver numpy|keras``. It never runs student
code itself: each request (one JSON line on stdin) is served by a freshly
forked child that enters the sandbox before it reads anything the student
wrote. Replies are JSON lines on stdout: ``{"ready": ...}`` once, then per
request ``{"started": pid}`` and ``{"exited": pid, ...}`` with the child's
exit status, CPU time and peak memory from ``wait4``.

Forking a process that has imported TensorFlow but not yet run an operation
works (measured); forking one that has trained a model deadlocks, which is
why the server imports Keras and nothing more.
"""

from __future__ import annotations

import json
import os
import sys


def preload(kind: str) -> None:
    """Import what every worker of this kind needs, so that forks start warm."""
    import numpy  # noqa: F401

    from dlbook.grading import codec, fixtures, limits, worker  # noqa: F401

    if kind == "keras":
        from dlbook.config import quiet_tensorflow

        quiet_tensorflow()
        import keras  # noqa: F401
        import sklearn.datasets  # noqa: F401 (the fixtures' datasets)

        from dlbook import data  # noqa: F401
        from dlbook.grading import keras_checks  # noqa: F401


def exit_report(pid: int, status: int, usage) -> dict:
    from dlbook.grading.sandbox import exit_fields

    return {"exited": pid, "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss, **exit_fields(status)}


def send(message: dict) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def serve(kind: str) -> None:
    preload(kind)
    send({"ready": kind, "pid": os.getpid()})
    requests = open(0, "rb", closefd=False)  # noqa: SIM115 (fd 0 itself, not sys.stdin)
    while line := requests.readline():
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            from dlbook.grading import worker

            worker.child_main(request)  # never returns
        send({"started": pid})
        _, status, usage = os.wait4(pid, 0)
        send(exit_report(pid, status, usage))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("numpy", "keras"):
        sys.exit("usage: python -m dlbook.grading.forkserver numpy|keras")
    serve(sys.argv[1])
