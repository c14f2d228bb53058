"""The grader's side of the boundary: start workers, hold them to time, read what they left.

A :class:`Sandbox` owns a temporary folder and up to two fork servers (one
with NumPy loaded, one with Keras), started on first use. :meth:`Sandbox.run`
sends one job to a server, kills the worker's process group when the
wall-clock limit passes, and returns a :class:`Run`: the decoded result
frames, the captured stdout/stderr and how the process ended.
:func:`run_forked` does the same by forking the *calling* process, which is
how :func:`dlbook.grading.check` isolates a function defined in a notebook.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlbook.grading import codec, limits, worker

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
SERVER_START_S = 180.0  # importing TensorFlow on a busy two-core machine
CAPTURE_CHARS = 100_000


class ServerLostError(RuntimeError):
    """The fork server stopped answering (a submission may have killed it)."""


class ServerStartError(RuntimeError):
    """A fork server could not start: the grader itself cannot run (Keras missing, say)."""


@dataclass
class ExitInfo:
    """How a worker ended: exit code or signal, time, CPU, peak memory, and why if we ended it."""

    code: int | None = None
    signal: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    maxrss_mb: float = 0.0
    timed_out: bool = False
    lost: str | None = None


@dataclass
class Run:
    """Everything one worker left behind."""

    frames: list[dict] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    exit: ExitInfo = field(default_factory=ExitInfo)
    corrupt: str | None = None


def worker_environment(kind: str) -> dict:
    """The environment of a fork server: quiet, single-threaded NumPy, importable dlbook."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MALLOC_ARENA_MAX="2",
               MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    if kind == "numpy":
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"
    return env


class ForkServer:
    """One ``python -m dlbook.grading.forkserver KIND`` process and its reply pipe."""

    def __init__(self, kind: str, workdir: str):
        self.kind = kind
        self.log = Path(workdir) / f"forkserver-{kind}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dlbook.grading.forkserver", kind],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=workdir,
                env=worker_environment(kind), start_new_session=True)
        self._buffer = b""
        try:
            ready = self._read(SERVER_START_S)
        except ServerLostError:
            ready = None
        if ready is None or "ready" not in ready:
            self.close()
            raise ServerStartError(f"the {kind} fork server did not start: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:] or "(no output)"
        except OSError:
            return "(no log)"

    def _read(self, timeout: float) -> dict | None:
        """The next JSON line within ``timeout`` s; None on timeout; ServerLostError at EOF."""
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise ServerLostError(f"the {self.kind} fork server exited")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, request: dict, wall_s: float) -> ExitInfo:
        """Serve ``request`` in a forked worker; kill it after ``wall_s`` seconds."""
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except OSError as error:
            raise ServerLostError(f"the {self.kind} fork server is gone: {error}") from None
        started = self._read(30.0)
        if started is None:
            raise ServerLostError(f"the {self.kind} fork server did not fork")
        start = time.monotonic()
        pid, timed_out = started["started"], False
        try:
            report = self._read(wall_s)
            if report is None:
                timed_out = True
                kill_group(pid)
                report = self._read(30.0)
        except ServerLostError:
            kill_group(pid)  # the worker outlived its server: stop it before reading its results
            raise
        kill_group(pid)  # anything the worker left running in its session
        if report is None:
            raise ServerLostError(f"the {self.kind} fork server did not reap worker {pid}")
        return ExitInfo(code=report["code"], signal=report["signal"],
                        wall_s=time.monotonic() - start, cpu_s=report["cpu_s"],
                        maxrss_mb=report["maxrss_kb"] / 1024, timed_out=timed_out)

    def close(self) -> None:
        """End of input: the server exits; if it does not within a second, it is killed."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=1.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_group(self.process.pid)
        self.process.wait()
        self.process.stdout.close()


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a worker's session), and ``pid`` itself."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def read_run(directory: Path, worker_limits: limits.Limits, exit_info: ExitInfo) -> Run:
    """Decode the frames and read the captured output a worker left in ``directory``."""
    run = Run(exit=exit_info, stdout=_read_text(directory / "stdout"),
              stderr=_read_text(directory / "stderr"))
    try:
        data = (directory / "result").read_bytes()[:int(worker_limits.output_mb * limits.MIB)]
    except OSError:
        data = b""
    for message in codec.split_frames(data):
        try:
            frame = codec.decode(message)
        except codec.DecodeError as error:
            run.corrupt = str(error)
            break
        if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
            run.corrupt = "a result frame is not an event"
            break
        run.frames.append(frame)
    return run


def _read_text(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            return stream.read(CAPTURE_CHARS).decode(errors="replace")
    except OSError:
        return ""


class Sandbox:
    """Fork servers and a scratch folder for one grading session (use ``with``)."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="dlbook-grading-")
        self._servers: dict[str, ForkServer] = {}

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def server(self, kind: str) -> ForkServer:
        if kind not in self._servers:
            self._servers[kind] = ForkServer(kind, self.root)
        return self._servers[kind]

    def run(self, task: str, job: dict, kind: str, worker_limits: limits.Limits) -> Run:
        """Run ``job`` (``task`` "student" or "verify") in a fresh worker of ``kind``."""
        directory = Path(tempfile.mkdtemp(dir=self.root))
        try:
            (directory / "job").write_bytes(codec.encode(job))
            request = {"task": task, "job": str(directory / "job"),
                       "limits": asdict(worker_limits),
                       **{name: str(directory / name) for name in ("result", "stdout", "stderr")}}
            server = self.server(kind)
            try:
                exit_info = server.run(request, worker_limits.wall_s)
            except ServerLostError as lost:
                self._servers.pop(kind).close()
                exit_info = ExitInfo(lost=str(lost))
            return read_run(directory, worker_limits, exit_info)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def run_forked(target: Callable[[Callable[[dict], None]], None],
               worker_limits: limits.Limits) -> Run:
    """Run ``target(emit)`` in a sandboxed fork of this process; ``emit`` sends a frame."""
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
    status = 0
    try:
        worker.enter_sandbox(worker_limits, str(directory / "stdout"), str(directory / "stderr"),
                             (result_fd,))
        target(lambda frame: codec.write_frame(result_fd, frame))
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 (reported through the exit status)
        status = 3
    finally:  # a fork of the caller carries the caller's coverage data: saving it is slow
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
    """True once ``pid`` has exited (it stays a zombie for wait4), False at ``deadline``."""
    while (remaining := deadline - time.monotonic()) > 0:
        if pidfd is not None:
            if select.select([pidfd], [], [], remaining)[0]:
                return True
        else:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
            time.sleep(min(0.002, remaining))
    return False


def exit_fields(status: int) -> dict:
    """Exit code or terminating signal from a ``wait`` status."""
    return {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}
