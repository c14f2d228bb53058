"""A worker's first code: read the job, load the libraries, apply the limits, run the task.

The grader starts ``python -I -S -c "...; from dlbook_runtime.boot import
main; main()"`` in the sandbox with

- ``DLBOOK_REQUEST``: JSON ``{"task", "kind", "limits"}``;
- standard input: the job (a :mod:`.codec` message, fixtures built here);
- standard output and error: capture files outside the sandbox;
- ``DLBOOK_RESULT_FD``: where result frames go (a file outside the sandbox);
- ``DLBOOK_READY_FD``: a pipe; one message says the student's code is about
  to start and how much CPU time loading took, so the grader's clocks start
  there. It is written and closed before any student code runs.

``task`` is ``"student"`` (load the submission, call its function) or
``"verify"`` (measure a model a submission returned; no student code runs).
"""

from __future__ import annotations

import json
import os
import struct
import sys
import traceback

from . import codec, limits, worker

READY = struct.Struct(">cd")  # b"R", CPU seconds used before the student's code


def preload(kind: str) -> None:
    """Import what this kind of exercise needs before the limits apply (they count from here)."""
    import numpy  # noqa: F401

    if kind == "keras":
        import keras  # noqa: F401


def announce_ready(ready_fd: int) -> None:
    os.write(ready_fd, READY.pack(b"R", limits.cpu_seconds_used()))
    os.close(ready_fd)


def main() -> None:
    """Entry point in the sandbox; never returns."""
    status = 0
    try:
        result_fd = int(os.environ["DLBOOK_RESULT_FD"])
        ready_fd = int(os.environ["DLBOOK_READY_FD"])
        os.environ[worker.WORKER_ENV] = "1"
        request = json.loads(os.environ["DLBOOK_REQUEST"])
        preload(request["kind"])
        job = codec.decode(sys.stdin.buffer.read(), resolve_fixture=worker.resolve_fixture)
        limits.apply(limits.Limits(**request["limits"]))
        sys.stdin.close()
        announce_ready(ready_fd)

        def emit(frame):
            codec.write_frame(result_fd, frame)

        if request["task"] == "verify":
            from . import keras_checks

            emit(keras_checks.verify(job))
        else:
            worker.run_student_job(job, emit)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 (reported through the exit status)
        status = 3
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        worker.exit_now(status)
