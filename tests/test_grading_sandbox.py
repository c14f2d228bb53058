"""The bubblewrap sandbox: what a submission can see and do in it, and what the supervisor reads back."""

import json
import os
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from dlbook.grading import isolation, seccomp, supervisor
from dlbook.grading.runtime import codec, limits
from dlbook.grading.runtime.protocol import Called, Source, StudentJob

ROOT = Path(__file__).resolve().parents[1]
LIMITS = limits.Limits(wall_s=20.0, cpu_s=20.0)

# Runs inside the sandbox as a student's function and reports what it finds.
PROBE = '''
import json, os, socket, sys

def probe(port, paths):
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":\\t" in line)
    facts = {"uid": os.getuid(), "env": sorted(os.environ), "pids": sorted(
        int(p) for p in os.listdir("/proc") if p.isdigit())}
    for field in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
        facts[field] = status[field].strip()
    facts["visible"] = [p for p in paths  # an empty folder may stand where one is hidden
                        if os.path.isfile(p) or (os.path.isdir(p) and os.listdir(p))]
    for name, attempt in [("fork", os.fork), ("connect", lambda: socket.create_connection(
            ("127.0.0.1", port), timeout=2)), ("write_runtime", lambda: open(
            "/runtime/dlbook_runtime/worker.py", "a")), ("kill_init", lambda: os.kill(1, 9))]:
        try:
            attempt()
            facts[name] = "worked"
        except OSError as error:
            facts[name] = type(error).__name__
    with open("/tmp/scratch", "w") as scratch:
        scratch.write("fine")
    facts["scratch"] = open("/tmp/scratch").read()
    try:
        with open("/tmp/big", "wb") as big:
            big.write(b"x" * 64 * 1024 * 1024)
        facts["big_file"] = "worked"
    except OSError as error:
        facts["big_file"] = error.strerror
    py_files = []
    for top in ("/runtime", "/submission", "/tmp", os.path.dirname(os.__file__)):
        for folder, _, files in os.walk(top):
            py_files += [os.path.join(folder, f) for f in files if f.endswith(".py")]
    facts["runtime"] = sorted(os.path.basename(p) for p in py_files
                              if p.startswith("/runtime/dlbook_runtime/"))
    facts["grader_modules"] = [p for p in py_files if not p.startswith("/runtime/dlbook_runtime/")
                               and ("dlbook" in p or "solutions" in p or os.path.basename(p) in (
                                   "backprop.py", "ch03_backprop.py", "registry.py"))]
    return json.dumps(facts)
'''


def _job(code: str, function: str, calls: list) -> StudentJob:
    source = Source("probe.py", "module", "/submission", (("probe.py", textwrap.dedent(code)),))
    return StudentJob(source, function, tuple(calls))


def _returned(run: supervisor.Run):
    """The value the first call returned."""
    call = run.frames[1]
    assert isinstance(call, Called) and call.error is None, (run.frames, run.stderr)
    return call.value


@pytest.fixture(scope="module")
def box():
    with supervisor.Supervisor("bubblewrap") as box:
        yield box


@pytest.fixture(scope="module")
def facts(box, tmp_path_factory):
    secret = tmp_path_factory.mktemp("grader") / "results.json"
    secret.write_text("{}")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    os.environ["DLBOOK_TEST_CANARY"] = "secret-canary"
    try:
        paths = [str(ROOT / "dlbook"), str(ROOT / "solutions"), str(secret), box.root,
                 *isolation.hidden_paths()]
        run = box.run(_job(PROBE, "probe", [(listener.getsockname()[1], paths)]), "numpy",
                      LIMITS)
    finally:
        del os.environ["DLBOOK_TEST_CANARY"]
        listener.close()
    return json.loads(_returned(run))


def test_the_sandbox_runs_as_an_unprivileged_user_without_capabilities(facts):
    assert facts["uid"] == (isolation.SANDBOX_UID if os.geteuid() == 0 else os.geteuid())
    assert {facts[f] for f in ("CapEff", "CapPrm", "CapBnd", "CapAmb")} == {"0000000000000000"}
    assert facts["NoNewPrivs"] == "1" and facts["Seccomp"] == "2"


def test_it_cannot_start_processes_signal_its_init_or_reach_the_network(facts):
    assert facts["fork"] == "PermissionError"
    assert facts["kill_init"] == "PermissionError"
    assert facts["connect"] in ("OSError", "ConnectionRefusedError")  # lo is down, and not ours
    assert facts["pids"] == [1, 2]  # the sandbox's init and the worker, nothing of the grader


def test_it_sees_none_of_the_grader_its_files_or_its_environment(facts):
    assert facts["visible"] == []
    assert facts["grader_modules"] == []
    assert facts["runtime"] == sorted(p.name for p in (ROOT / "dlbook" / "grading" / "runtime").glob(
        "*.py"))
    assert "DLBOOK_TEST_CANARY" not in facts["env"]
    assert set(facts["env"]) <= {*isolation.worker_environment("numpy"), "HOME", "TMPDIR",
                                 "PWD", "DLBOOK_GRADING_WORKER", "DLBOOK_REQUEST", "DLBOOK_RESULT_FD",
                                 "DLBOOK_READY_FD"}


def test_its_runtime_is_read_only_and_its_scratch_space_small(facts):
    assert facts["write_runtime"] in ("OSError", "PermissionError")
    assert facts["scratch"] == "fine"
    assert facts["big_file"] in ("File too large", "No space left on device")


def test_it_imports_the_submissions_own_modules_and_nothing_beside_them(box, tmp_path):
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "notes.txt").write_text("not a module")
    (tmp_path / "linked.py").symlink_to("/etc/hostname")
    code = ("import os\nfrom helpers import double\n"
            "def f(x):\n    return double(x), sorted(os.listdir('/submission'))\n")
    files = [str(p) for p in sorted(tmp_path.glob("*.py")) if not p.is_symlink()]
    run = box.run(_job(code, "f", [(np.ones(2),)]), "numpy", LIMITS, files)
    value, listing = _returned(run)
    assert np.array_equal(value, [2.0, 2.0]) and listing == ["helpers.py"]


def test_a_runaway_is_ended_at_its_wall_clock_limit_with_everything_in_it(box):
    code = "import threading, time\ndef f():\n    threading.Thread(target=time.sleep, " \
           "args=(100,)).start()\n    time.sleep(100)\n"
    start = time.monotonic()
    run = box.run(_job(code, "f", [()]), "numpy", limits.Limits(wall_s=1.0))
    assert run.exit.timed_out and time.monotonic() - start < 30
    assert run.exit.wall_s < 10  # counted from the student's code, not the interpreter's start
    leftovers = [p for p in os.listdir("/proc") if p.isdigit() and "dlbook_runtime" in
                 Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
    assert leftovers == []


def test_a_bubblewrap_too_old_for_the_sandbox_is_refused_and_auto_falls_back(tmp_path, monkeypatch):
    assert isolation.version_tuple("bubblewrap 0.6.1") == (0, 6, 1) < isolation.MIN_BWRAP
    old = tmp_path / "bwrap"
    old.write_text("#!/bin/sh\necho bubblewrap 0.6.1\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    with pytest.raises(isolation.IsolationError, match="bubblewrap 0.6.1 is too old"):
        isolation.choose("bubblewrap", str(tmp_path))
    assert isolation.choose("auto", str(tmp_path)).name == "processes"


@pytest.mark.parametrize("mode, error", [("docker", ValueError), (None, TypeError)])
def test_an_unknown_isolation_is_named(tmp_path, mode, error):
    with pytest.raises(error, match="isolation must be one of"):
        isolation.choose(mode, str(tmp_path))


def test_the_seccomp_filter_is_a_bpf_program_with_the_clone_rule():
    program = seccomp.filter_program()
    assert len(program) % 8 == 0 and len(program) > 8 * 20  # struct sock_filter is 8 bytes
    assert seccomp.errno_action(1) == 0x00050001


def test_the_libraries_a_kind_may_import_are_numpy_or_keras_and_their_dependencies():
    numpy_names = {Path(host).name for host, _ in isolation.library_binds("numpy")}
    assert "numpy" in numpy_names and "keras" not in numpy_names
    keras_names = {Path(host).name for host, _ in isolation.library_binds("keras")}
    assert {"numpy", "keras", "tensorflow", "absl"} <= keras_names
    assert not any(name.startswith("dlbook") for name in numpy_names | keras_names)


# ---------------------------------------------------------------------------
# The result channel


def _frame(message: bytes) -> bytes:
    return len(message).to_bytes(8, "big") + message


def _message(header: dict, *blobs: bytes) -> bytes:
    text = json.dumps(header).encode()
    return (codec.MAGIC + len(text).to_bytes(4, "big") + text
            + b"".join(len(b).to_bytes(8, "big") + b for b in blobs))


def _npy_header(shape) -> bytes:
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


@pytest.mark.parametrize("message, problem", [
    (_message({"value": {"a": 1, "b": 2}, "arrays": 0}), "malformed value node"),
    (_message({"value": {"array": 0}, "arrays": 1}, _npy_header((10 ** 12,)) + b"\0" * 8),
     "array header says shape (1000000000000,)"),
    (_message({"value": {"event": "call"}, "arrays": 0}), "malformed value node"),
    (_message({"value": ["not", "a", "dict"], "arrays": 0}), "malformed value node"),
    (_message({"value": {"dict": {"event": {"list": []}}}, "arrays": 0}), "not a known event"),
    (_message({"value": {"dict": {"event": "call", "index": 0}}, "arrays": 0}),
     "no seconds of type float"),
    (_message({"value": {"dict": {"event": "call", "index": 0, "seconds": "soon",
                                  "error": {"list": ["not", "dict"]}}}, "arrays": 0}),
     "no seconds of type float"),
    (_message({"value": {"dict": {"event": "call", "index": 0, "seconds": 0.5,
                                  "error": {"list": ["not", "dict"]}}}, "arrays": 0}),
     "no error of type dict"),
    (_message({"value": {"dict": {"event": "call", "index": 0, "seconds": 0.5,
                                  "error": {"dict": {"type": "E"}}}}, "arrays": 0}),
     "a result frame has a malformed error"),
    (_message({"value": {"dict": {"event": "loaded", "notes": {"list": ["a"]}}}, "arrays": 0}),
     "a loaded frame has no notes of type tuple"),
    (_message({"value": {"dict": {"event": "missing", "defined": {"tuple": [1]}}}, "arrays": 0}),
     "a missing frame has defined that are not all str"),
    (_message({"value": {"dict": {"event": "verified"}}, "arrays": 0}),
     "either a result or a failure"),
])
def test_hostile_frames_make_an_invalid_result_not_a_crash(tmp_path, message, problem):
    (tmp_path / "result").write_bytes(_frame(message))
    run = supervisor.read_run(tmp_path, LIMITS, supervisor.ExitInfo(code=0))
    assert run.frames == [] and problem in run.corrupt


@pytest.mark.parametrize("make, problem", [
    (lambda p: p.symlink_to("/dev/zero"), "result is a symbolic link"),
    (lambda p: os.mkfifo(p), "result is not a regular file"),
    (lambda p: p.mkdir(), "result is not a regular file"),
])
def test_a_result_file_that_is_not_a_file_is_reported_without_reading_it(tmp_path, make, problem):
    make(tmp_path / "result")
    start = time.monotonic()
    run = supervisor.read_run(tmp_path, LIMITS, supervisor.ExitInfo(code=0))
    assert run.corrupt == problem and time.monotonic() - start < 5


def test_a_result_file_is_read_only_up_to_the_output_limit(tmp_path):
    (tmp_path / "result").write_bytes(b"\xff" * (3 * limits.MIB))
    data, problem = supervisor.read_untrusted(tmp_path / "result", limits.MIB)
    assert len(data) == limits.MIB and problem is None


def test_a_worker_that_ended_while_the_grader_was_held_up_is_not_a_time_out():
    # The notebook path: the child has exited before the grader first looks, past its deadline.
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # exited, still waiting to be reaped
    info = supervisor.wait_for(pid, wall_s=0.0)
    assert not info.timed_out and info.code == 0


def test_the_supervisor_looks_at_a_finished_worker_before_calling_a_time_out():
    process = subprocess.Popen(["true"])
    ready_read, ready_write = os.pipe()
    os.close(ready_write)
    watch = supervisor.WorkerWatch(process, ready_read, None, "numpy", LIMITS)
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    watch.deadline = time.monotonic() - 1.0  # the grader was held up past the deadline
    info = watch.wait()
    os.close(ready_read)
    assert not info.timed_out and info.code == 0
