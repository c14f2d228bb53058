"""The worker side: loading student code, calling it, tracebacks, and the fork server protocol."""

import ast
import json
import os
import select
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dlbook.grading import codec, forkserver, limits, sandbox, worker

ROOT = Path(__file__).resolve().parents[1]


def _source(code: str, kind="module", path="/tmp/student_answers.py") -> dict:
    cells = [[path, textwrap.dedent(code)]] if kind == "module" else [
        [f"nb.ipynb, cell {i}", textwrap.dedent(c)] for i, c in enumerate(code, start=1)]
    return {"path": path, "kind": kind, "directory": "/tmp", "cells": cells}


def test_definitions_only_keeps_imports_definitions_and_plain_assignments():
    tree = ast.parse("import numpy as np\nRATE = 0.1\nf = lambda z: np.exp(z)\n"
                     "model = build()\nmodel.fit(x)\nfor i in range(3):\n    pass\n"
                     "def g():\n    return RATE\nclass C:\n    pass\n")
    kept, skipped = worker.definitions_only(tree)
    assert [type(s).__name__ for s in kept.body] == ["Import", "Assign", "Assign", "FunctionDef",
                                                      "ClassDef"]
    assert skipped == [4, 5, 6]


def test_a_module_that_raises_is_an_import_error_with_only_student_frames():
    code = """
    import numpy as np

    def helper():
        return np.linalg.inv(np.zeros((2, 2)))

    VALUE = helper()
    """
    with pytest.raises(worker.StudentImportError) as failure:
        worker.load_student_code(_source(code))
    error = failure.value.error
    assert error["type"] == "LinAlgError" and not error["not_implemented"]
    lines = error["traceback"]
    assert 'student_answers.py", line 7, in <module>' in lines
    assert 'line 5, in helper' in lines and "return np.linalg.inv" in lines
    assert "numpy" not in lines.split("\n")[-3] and "worker.py" not in lines


def test_notebook_cells_that_raise_are_noted_and_the_next_cells_still_run():
    cells = ["x = undefined_name", "def f(z):\n    return z * 2", "f(3)"]
    namespace, notes = worker.load_student_code(_source(cells, kind="notebook"))
    assert namespace["f"](2) == 4
    assert notes == ["nb.ipynb, cell 1 raised NameError: name 'undefined_name' is not defined",
                     "nb.ipynb, cell 3, line 1: skipped (notebooks are graded from their imports "
                     "and definitions only)"]


def test_find_function_says_what_is_there_instead():
    namespace = {"softmax": print, "sigmoid": 3, "np": np, "_private": print}
    assert worker.find_function(namespace, "softmax")[0] is print
    assert worker.find_function(namespace, "sigmoid")[1] == {"event": "not_callable",
                                                             "type": "int"}
    missing = worker.find_function(namespace, "relu")[1]
    assert missing == {"event": "missing", "defined": ["softmax"]}


def test_calls_report_values_errors_exits_and_what_cannot_be_sent():
    frames = []

    def answer(x):
        if x.size == 1:
            raise SystemExit(4)
        if x.size == 2:
            return object()
        return x * 2

    worker.run_calls(answer, [(np.ones(3),), (np.ones(1),), (np.ones(2),)],
                     lambda frame: frames.append(codec.decode(codec.encode(frame))))
    assert np.array_equal(frames[0]["value"], np.full(3, 2.0))
    assert np.array_equal(frames[0]["args_after"][0], np.ones(3))
    assert frames[1]["error"]["message"] == "the code called sys.exit(4)"
    assert "your return value is a builtins.object" in frames[2]["unencodable"]


def test_a_message_that_cannot_be_printed_is_still_reported():
    class WeirdError(Exception):
        def __str__(self):
            raise RuntimeError("no")

    described = worker.describe_error(WeirdError())
    assert described["message"] == "<WeirdError whose message could not be printed>"


def test_only_known_fixtures_can_be_built():
    with pytest.raises(codec.DecodeError, match="unknown fixture"):
        worker.resolve_fixture(codec.Fixture("os.system", {}))
    gradient = worker.resolve_fixture(codec.Fixture("quadratic_gradient",
                                                    {"A": np.eye(2), "x_star": np.ones(2)}))
    assert np.array_equal(gradient(np.zeros(2)), -np.ones(2))


def test_a_whole_job_runs_in_a_forked_worker():
    job = {"source": _source("import numpy as np\ndef twice(x):\n    print('hi')\n"
                             "    return 2 * x\n"),
           "function": "twice", "calls": [(np.ones(2),), (np.arange(3.0),)]}
    run = sandbox.run_forked(lambda emit: worker.run_student_job(job, emit), limits.Limits())
    assert [f["event"] for f in run.frames] == ["loaded", "call", "call", "done"]
    assert np.array_equal(run.frames[2]["value"], [0.0, 2.0, 4.0])
    assert run.stdout == "hi\nhi\n" and run.exit.code == 0


def test_a_job_for_a_missing_function_or_a_broken_module_stops_early():
    missing = {"source": _source("x = 1\n"), "function": "twice", "calls": [()]}
    run = sandbox.run_forked(lambda emit: worker.run_student_job(missing, emit), limits.Limits())
    assert [f["event"] for f in run.frames] == ["loaded", "missing"]
    broken = {"source": _source("raise ValueError('boom')\n"), "function": "twice", "calls": [()]}
    run = sandbox.run_forked(lambda emit: worker.run_student_job(broken, emit), limits.Limits())
    assert run.frames[0]["event"] == "import_error"
    assert run.frames[0]["error"]["message"] == "boom"


def test_importing_a_reference_module_is_refused_in_a_worker():
    job = {"source": _source("import dlbook.config\nimport dlbook.backprop\n"),
           "function": "f", "calls": []}
    run = sandbox.run_forked(lambda emit: worker.run_student_job(job, emit), limits.Limits())
    assert "dlbook.backprop holds the book's reference solutions" in run.frames[0]["error"][
        "message"]


def _read_line(fd: int, timeout: float = 30.0) -> dict:
    line = b""
    while not line.endswith(b"\n"):
        assert select.select([fd], [], [], timeout)[0], "the fork server did not answer"
        byte = os.read(fd, 1)
        assert byte, "the fork server closed its output"
        line += byte
    return json.loads(line)


def test_the_fork_server_protocol(tmp_path):
    to_server, server_stdin = os.pipe()
    server_stdout, from_server = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(to_server, 0)
        os.dup2(from_server, 1)
        for fd in (to_server, server_stdin, server_stdout, from_server):
            os.close(fd)  # the server must see end-of-file when the test closes its input
        try:
            forkserver.serve("numpy")
        finally:
            worker.exit_now(0)
    os.close(to_server)
    os.close(from_server)
    job = {"source": _source("def inc(x):\n    return x + 1\n"), "function": "inc",
           "calls": [(np.zeros(2),)]}
    (tmp_path / "job").write_bytes(codec.encode(job))
    request = {"task": "student", "job": str(tmp_path / "job"),
               "limits": {"wall_s": 5.0, "cpu_s": 5.0, "memory_mb": 512, "output_mb": 1},
               **{name: str(tmp_path / name) for name in ("result", "stdout", "stderr")}}
    assert _read_line(server_stdout)["ready"] == "numpy"
    os.write(server_stdin, (json.dumps(request) + "\n").encode())
    worker_pid = _read_line(server_stdout)["started"]
    report = _read_line(server_stdout)
    assert report["exited"] == worker_pid and report["code"] == 0 and report["signal"] is None
    run = sandbox.read_run(tmp_path, limits.Limits(), sandbox.ExitInfo(code=0))
    assert np.array_equal(run.frames[1]["value"], np.ones(2))
    os.close(server_stdin)
    assert os.waitpid(pid, 0)[1] == 0
    os.close(server_stdout)


def test_a_fork_server_that_cannot_start_says_why(tmp_path, monkeypatch):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho no such interpreter >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    with pytest.raises(sandbox.ServerStartError, match="did not start: no such interpreter"):
        sandbox.ForkServer("numpy", str(tmp_path))
