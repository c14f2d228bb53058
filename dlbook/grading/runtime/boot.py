"""A worker's first code: read the job, load the libraries, apply the limits, run the task.

The supervisor starts ``python -I -S -c "...; from dlbook_runtime.boot import
main; main()"`` in the sandbox with

- ``DLBOOK_REQUEST``: a :class:`.protocol.Request` as JSON (task, kind, limits);
- standard input: the job (a :class:`.protocol.StudentJob` or
  :class:`.protocol.VerifyJob` as a :mod:`.codec` message, fixtures built here);
- standard output and error: capture files outside the sandbox;
- ``DLBOOK_RESULT_FD``: where result frames go (a file outside the sandbox);
- ``DLBOOK_READY_FD``: a pipe; one message says the student's code is about
  to start and how much CPU time loading took, so the supervisor's clocks
  start there. It is written and closed before any student code runs.

A student job loads the submission and calls its function; a verify job
measures a model a submission returned, and no student code runs.
"""

from __future__ import annotations

import os
import struct
import sys
import traceback
from functools import partial

from . import codec, limits, protocol, worker

READY = struct.Struct(">cd")  # b"R", CPU seconds used before the student's code


def preload(kind: protocol.Kind) -> None:
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
        request = protocol.Request.from_json(os.environ["DLBOOK_REQUEST"])
        preload(request.kind)
        message = codec.decode(sys.stdin.buffer.read(), resolve_fixture=worker.resolve_fixture)
        job = protocol.JOBS[request.task].from_wire(message)
        limits.apply(request.limits)
        sys.stdin.close()
        announce_ready(ready_fd)
        emit = partial(protocol.send, result_fd)
        if isinstance(job, protocol.VerifyJob):
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
