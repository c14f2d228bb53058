"""The supervisor side of the sandbox: start workers, hold them to time, read what they left.

The supervisor is the grader's trusted process; a worker
(:mod:`dlbook.grading.runtime`) is the untrusted one that runs the student's
code. A :class:`Supervisor` owns a private temporary folder and the isolation
chosen for a grading session (:mod:`dlbook.grading.isolation`: a bubblewrap
sandbox per worker, or plain processes as a weak fallback).
:meth:`Supervisor.run` starts one worker for one job
(:mod:`dlbook.grading.runtime.protocol`), watches it (:class:`WorkerWatch`),
ends it when its wall-clock limit passes, waits until every process of it is
gone, and only then reads what it left: a :class:`Run` with the result
frames, the captured stdout/stderr and how the process ended.

What a worker leaves is untrusted. Files are opened without following
links, only regular files are read, and never more than the output limit;
every frame is decoded without pickle and checked field by field
(:func:`dlbook.grading.runtime.protocol.decode`). Anything else makes the run
``corrupt``: that exercise scores zero as an invalid result, and the rest of
the grading goes on.

:func:`run_forked` runs a function by forking the *calling* process instead
(the child becomes the worker), which is how :func:`dlbook.grading.check`
isolates a function defined in a notebook.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dlbook.grading import isolation as isolation_module
from dlbook.grading.runtime import boot, codec, limits, protocol, worker
from dlbook.grading.runtime.protocol import Frame, Job, Kind

PR_SET_CHILD_SUBREAPER = 36
STARTUP_S = {"numpy": 60.0, "keras": 300.0}  # interpreter and libraries, on a busy machine
CAPTURE_CHARS = 100_000


class WorkerStartError(RuntimeError):
    """A worker could not be started at all: the grader itself cannot run here."""


@dataclass
class ExitInfo:
    """How a worker ended: exit code or signal, time, CPU, peak memory, and why if we ended it."""

    code: int | None = None
    signal: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    maxrss_mb: float = 0.0
    timed_out: bool = False
    started: bool = True  # False: it ended before the student's code (or the verifier) began


@dataclass
class Run:
    """Everything one worker left behind."""

    frames: list[Frame] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    exit: ExitInfo = field(default_factory=ExitInfo)
    corrupt: str | None = None


# ---------------------------------------------------------------------------
# Reading what a worker left


def read_untrusted(path: Path, limit: int) -> tuple[bytes, str | None]:
    """At most ``limit`` bytes of the regular file at ``path``; ``(b"", why)`` if it is not one.

    No link is followed and nothing blocks: a FIFO, a device, a symlink to
    ``/dev/zero`` or a folder in its place is a problem, not a hang.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return b"", None
    except OSError as error:
        reason = "a symbolic link" if error.errno == errno.ELOOP else os.strerror(error.errno)
        return b"", f"{path.name} is {reason}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"", f"{path.name} is not a regular file"
        chunks, size = [], 0
        while size < limit and (chunk := os.read(fd, min(1 << 20, limit - size))):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), None
    finally:
        os.close(fd)


def read_run(directory: Path, worker_limits: limits.Limits, exit_info: ExitInfo) -> Run:
    """Decode the frames and read the captured output a worker left in ``directory``."""
    cap = int(worker_limits.output_mb * limits.MIB)
    run = Run(exit=exit_info, stdout=_read_text(directory / "stdout"),
              stderr=_read_text(directory / "stderr"))
    data, run.corrupt = read_untrusted(directory / "result", cap)
    for message in [] if run.corrupt else codec.split_frames(data):
        try:
            run.frames.append(protocol.decode(message))
        except protocol.ProtocolError as error:
            run.corrupt = str(error)
            break
    return run


def _read_text(path: Path) -> str:
    data, problem = read_untrusted(path, CAPTURE_CHARS)
    return f"({problem})" if problem else data.decode(errors="replace")


# ---------------------------------------------------------------------------
# Running a worker


class Supervisor:
    """The trusted parent of a grading session's workers: the isolation and a private scratch
    folder (use ``with``).

    ``mode`` is one of :data:`dlbook.grading.isolation.MODES`.
    """

    def __init__(self, mode: str = "auto"):
        self.root = tempfile.mkdtemp(prefix="dlbook-grading-")
        try:
            self.isolation = isolation_module.choose(mode, self.root)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        if self.isolation.full:
            become_subreaper()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, job: Job, kind: Kind, worker_limits: limits.Limits,
            submission: list[str] = ()) -> Run:
        """Run ``job`` in a fresh worker of ``kind``.

        ``submission``: the student's ``.py`` files the worker may import.
        """
        directory = Path(tempfile.mkdtemp(dir=self.root))
        try:
            (directory / "job").write_bytes(codec.encode(job.wire()))
            request = protocol.Request(job.task, kind, worker_limits)
            exit_info = self._start_and_wait(directory, request, list(submission))
            if not exit_info.started:  # no student code ran: the grader's problem, not theirs
                stderr = _read_text(directory / "stderr").strip()[-1500:]
                raise WorkerStartError(f"a {kind} worker did not start ({self.isolation.name}): "
                                       f"{stderr or exit_fields_text(exit_info)}")
            return read_run(directory, worker_limits, exit_info)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def _start_and_wait(self, directory: Path, request: protocol.Request,
                        submission: list[str]) -> ExitInfo:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        result_fd = os.open(directory / "result", flags, 0o600)
        ready_read, ready_write = os.pipe()
        kind, worker_limits = request.kind, request.limits
        env = {"DLBOOK_REQUEST": request.to_json(), "DLBOOK_RESULT_FD": str(result_fd),
               "DLBOOK_READY_FD": str(ready_write)}
        launch = self.isolation.launch(kind, env, (result_fd, ready_write), worker_limits.output_mb,
                                       submission)
        try:
            with open(directory / "job", "rb") as job, \
                    open(directory / "stdout", "wb") as out, open(directory / "stderr", "wb") as err:
                process = subprocess.Popen(launch.argv, stdin=job, stdout=out, stderr=err,
                                           pass_fds=launch.pass_fds, env=launch.env,
                                           start_new_session=True)
        except OSError as error:
            raise WorkerStartError(f"cannot start a worker: {error}") from None
        finally:
            for fd in launch.pass_fds:
                os.close(fd)
        try:
            return WorkerWatch(process, ready_read, launch.status_fd, kind, worker_limits).wait()
        finally:
            os.close(ready_read)
            if launch.status_fd is not None:
                os.close(launch.status_fd)


def become_subreaper() -> None:
    """Make this process the one orphans of its descendants come to (Linux ``prctl``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


class WorkerWatch:
    """Watches one started worker: its clocks, its end, and the end of everything it started.

    ``status_fd`` reads bubblewrap's JSON status (None outside a sandbox).
    """

    def __init__(self, process: subprocess.Popen, ready_fd: int, status_fd: int | None, kind: Kind,
                 worker_limits: limits.Limits):
        self.process, self.ready_fd, self.status_fd = process, ready_fd, status_fd
        self.limits = worker_limits
        self.launched = time.monotonic()
        self.deadline = self.launched + STARTUP_S[kind] + worker_limits.wall_s
        self.started, self.startup_cpu = None, 0.0
        self.status_text = b""
        self.pidfd = os.pidfd_open(process.pid)

    def wait(self) -> ExitInfo:
        timed_out = False
        watching = {self.pidfd, self.ready_fd} | ({self.status_fd} if self.status_fd else set())
        while True:
            # Look before deciding on a time-out: a grader held up past the deadline (a busy
            # machine) must not call a worker that had already finished late.
            remaining = self.deadline - time.monotonic()
            ready = select.select(list(watching), [], [], max(remaining, 0.0))[0]
            if self.ready_fd in ready and not self._read_ready():
                watching.discard(self.ready_fd)
            if self.status_fd in ready and not self._read_status():
                watching.discard(self.status_fd)
            if self.pidfd in ready:
                break
            if remaining <= 0:
                timed_out = True
                self.kill()
                break
        _, status, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = status
        os.close(self.pidfd)
        if self.started is None and not timed_out:  # it exited as its message arrived
            os.set_blocking(self.ready_fd, False)
            try:
                self._read_ready()
            except BlockingIOError:
                pass
        self._read_status()
        usage = self._reap_sandbox_init() or usage
        if self.status_fd is None:  # no PID namespace: end what it left in its session
            _kill(os.killpg, self.process.pid)
        end = time.monotonic()
        return ExitInfo(wall_s=end - (self.started or self.launched),
                        cpu_s=max(0.0, usage.ru_utime + usage.ru_stime - self.startup_cpu),
                        maxrss_mb=usage.ru_maxrss / 1024, timed_out=timed_out,
                        started=self.started is not None, **self.exit_fields(status))

    def _reap_sandbox_init(self):
        """Wait for the sandbox's init and return its resource usage (None outside a sandbox).

        bubblewrap's outer process exits without reaping the sandbox's init,
        which then comes to the grader (a child subreaper, see
        :func:`become_subreaper`); the init exits only when every process of
        the sandbox is gone, and its usage includes the worker's CPU time and
        peak memory.
        """
        child = self.status().get("child-pid")
        if not isinstance(child, int):
            return None
        try:
            return os.wait4(child, 0)[2]
        except ChildProcessError:  # bubblewrap reaped it itself
            return None

    def _read_ready(self) -> bool:
        """Take the worker's ready message; False once there is nothing more to read."""
        data = os.read(self.ready_fd, boot.READY.size)
        if len(data) == boot.READY.size and self.started is None:
            self.started = time.monotonic()
            self.startup_cpu = boot.READY.unpack(data)[1]
            self.deadline = min(self.deadline, self.started + self.limits.wall_s)
        return False  # one message, then the worker closes its end: stop watching

    def _read_status(self) -> bool:
        """Collect bubblewrap's JSON status lines (the sandbox's init pid, the exit code)."""
        if self.status_fd is None:
            return False
        try:
            os.set_blocking(self.status_fd, False)
            chunk = os.read(self.status_fd, 65536)
        except BlockingIOError:
            return True
        self.status_text += chunk
        return bool(chunk)

    def status(self) -> dict:
        fields = {}
        for line in self.status_text.decode(errors="replace").splitlines():
            try:
                fields.update(json.loads(line))
            except ValueError:
                continue
        return fields

    def kill(self) -> None:
        """SIGKILL the sandbox's init, so the kernel ends its whole PID namespace (outside a
        sandbox: the worker's session)."""
        child = self.status().get("child-pid")
        if isinstance(child, int):
            _kill(os.kill, child)
        kill_group(self.process.pid)

    def exit_fields(self, status: int) -> dict:
        """Exit code or signal of the worker (bubblewrap reports a signal as 128 + its number)."""
        code = self.status().get("exit-code")
        if not isinstance(code, int):
            return exit_fields(status)
        return {"code": None, "signal": code - 128} if code > 128 else {"code": code, "signal": None}


def _kill(kill: Callable[[int, int], None], pid: int) -> None:
    try:
        kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a worker's session), and ``pid`` itself."""
    for kill in (os.killpg, os.kill):
        _kill(kill, pid)


def exit_fields_text(info: ExitInfo) -> str:
    return (f"killed by signal {info.signal}" if info.signal else f"exit code {info.code}") + (
        " after the start-up time limit" if info.timed_out else "")


def exit_fields(status: int) -> dict:
    """Exit code or terminating signal from a ``wait`` status."""
    return {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}


# ---------------------------------------------------------------------------
# check() in a notebook: a fork of the calling process


def run_forked(target: Callable[[worker.Emit], None], worker_limits: limits.Limits) -> Run:
    """Run ``target(emit)`` in a fork of this process held to ``worker_limits``; ``emit`` sends a
    frame."""
    directory = Path(tempfile.mkdtemp(prefix="dlbook-check-"))
    try:
        result_fd = os.open(directory / "result", os.O_WRONLY | os.O_CREAT, 0o600)
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():
            # Python >= 3.12 warns when a multi-threaded process (a Jupyter kernel) forks;
            # the child runs only NumPy and the student's function, then exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            _forked_child(target, worker_limits, directory, result_fd)
        os.close(result_fd)
        return read_run(directory, worker_limits, wait_for(pid, worker_limits.wall_s))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _forked_child(target, worker_limits: limits.Limits, directory: Path, result_fd: int) -> None:
    # A fork of the caller carries the caller's tracer (coverage, under a test run), whose
    # state other threads of the caller may have held at the fork: the child runs untraced.
    sys.settrace(None)
    sys.setprofile(None)
    status = 0
    try:
        worker.enter_forked_worker(worker_limits, str(directory / "stdout"),
                                   str(directory / "stderr"), (result_fd,))
        target(partial(protocol.send, result_fd))
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 (reported through the exit status)
        status = 3
    finally:  # the caller's coverage data is not the child's to save
        worker.exit_now(status, save_coverage=False)


def wait_for(pid: int, wall_s: float) -> ExitInfo:
    """Wait for our child ``pid`` for at most ``wall_s`` seconds, then kill its group."""
    start = time.monotonic()
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    timed_out = not _wait_exit(pid, pidfd, start + wall_s)
    if timed_out:
        kill_group(pid)
    _, status, usage = os.wait4(pid, 0)
    kill_group(pid)
    if pidfd is not None:
        os.close(pidfd)
    report = exit_fields(status)
    return ExitInfo(wall_s=time.monotonic() - start, cpu_s=usage.ru_utime + usage.ru_stime,
                    maxrss_mb=usage.ru_maxrss / 1024, timed_out=timed_out, **report)


def _wait_exit(pid: int, pidfd: int | None, deadline: float) -> bool:
    """True once ``pid`` has exited (it stays a zombie for wait4), False at ``deadline``.

    It always looks at least once, so a caller held up past the deadline still
    sees a child that has exited.
    """
    while True:
        remaining = max(deadline - time.monotonic(), 0.0)
        if pidfd is not None:
            if select.select([pidfd], [], [], remaining)[0]:
                return True
        elif os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        else:
            time.sleep(min(0.002, remaining))
        if remaining == 0.0:
            return False


