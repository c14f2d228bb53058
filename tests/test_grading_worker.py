"""The worker side of the sandbox: loading student code, calling it, tracebacks, a whole run."""

import ast
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dlbook.grading import supervisor
from dlbook.grading.runtime import codec, limits, protocol, worker
from dlbook.grading.runtime.protocol import Called, Done, Loaded, Missing, Source, StudentJob

ROOT = Path(__file__).resolve().parents[1]


def _source(code: str, kind="module", path="/tmp/student_answers.py") -> Source:
    cells = [(path, textwrap.dedent(code))] if kind == "module" else [
        (f"nb.ipynb, cell {i}", textwrap.dedent(c)) for i, c in enumerate(code, start=1)]
    return Source(path, kind, "/tmp", tuple(cells))


def _events(run: supervisor.Run) -> list[type]:
    return [type(frame) for frame in run.frames]


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
    assert error.type == "LinAlgError" and not error.not_implemented
    lines = error.traceback
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
    assert worker.find_function(namespace, "sigmoid")[1] == protocol.NotCallable("int")
    assert worker.find_function(namespace, "relu")[1] == Missing(("softmax",))


def test_calls_report_values_errors_exits_and_what_cannot_be_sent():
    frames = []

    def answer(x):
        if x.size == 1:
            raise SystemExit(4)
        if x.size == 2:
            return object()
        return x * 2

    worker.run_calls(answer, [(np.ones(3),), (np.ones(1),), (np.ones(2),)],
                     lambda frame: frames.append(protocol.decode(protocol.encode(frame))))
    assert np.array_equal(frames[0].value, np.full(3, 2.0))
    assert np.array_equal(frames[0].args_after[0], np.ones(3))
    assert frames[1].error.message == "the code called sys.exit(4)"
    assert "your return value is a builtins.object" in frames[2].unencodable


def test_a_message_that_cannot_be_printed_is_still_reported():
    class WeirdError(Exception):
        def __str__(self):
            raise RuntimeError("no")

    described = worker.describe_error(WeirdError())
    assert described.message == "<WeirdError whose message could not be printed>"


def test_only_known_fixtures_can_be_built():
    with pytest.raises(codec.DecodeError, match="unknown fixture"):
        worker.resolve_fixture(codec.Fixture("os.system", {}))
    gradient = worker.resolve_fixture(codec.Fixture("quadratic_gradient",
                                                    {"A": np.eye(2), "x_star": np.ones(2)}))
    assert np.array_equal(gradient(np.zeros(2)), -np.ones(2))


def _run_forked(job: StudentJob) -> supervisor.Run:
    return supervisor.run_forked(lambda emit: worker.run_student_job(job, emit), limits.Limits())


def test_a_whole_job_runs_in_a_forked_worker():
    job = StudentJob(_source("import numpy as np\ndef twice(x):\n    print('hi')\n"
                             "    return 2 * x\n"), "twice", ((np.ones(2),), (np.arange(3.0),)))
    run = _run_forked(job)
    assert _events(run) == [Loaded, Called, Called, Done]
    assert np.array_equal(run.frames[2].value, [0.0, 2.0, 4.0])
    assert run.stdout == "hi\nhi\n" and run.exit.code == 0


def test_a_job_for_a_missing_function_or_a_broken_module_stops_early():
    run = _run_forked(StudentJob(_source("x = 1\n"), "twice", ((),)))
    assert _events(run) == [Loaded, Missing]
    run = _run_forked(StudentJob(_source("raise ValueError('boom')\n"), "twice", ((),)))
    assert _events(run) == [protocol.ImportFailed] and run.frames[0].error.message == "boom"


def test_importing_a_reference_module_is_refused_in_a_worker():
    run = _run_forked(StudentJob(_source("import numpy as np\nimport dlbook.backprop\n"), "f", ()))
    error = run.frames[0].error
    assert error.reference and "dlbook.backprop holds the book's reference" in error.message


@pytest.mark.parametrize("mode", ["processes", "bubblewrap"])
def test_a_job_runs_in_a_fresh_worker_of_either_isolation(mode):
    job = StudentJob(_source("def inc(x):\n    print('in inc')\n    return x + 1\n"), "inc",
                     ((np.zeros(2),),))
    with supervisor.Supervisor(mode) as box:
        assert box.isolation.name == mode
        run = box.run(job, "numpy", limits.Limits(wall_s=5.0, cpu_s=5.0))
    assert _events(run) == [Loaded, Called, Done]
    assert np.array_equal(run.frames[1].value, np.ones(2))
    assert run.stdout == "in inc\n" and run.exit.code == 0 and run.exit.started
    assert 0 <= run.exit.wall_s < 5.0 and run.corrupt is None


def test_a_worker_that_cannot_start_says_why(tmp_path, monkeypatch):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho no such interpreter >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    with supervisor.Supervisor("processes") as box, pytest.raises(
            supervisor.WorkerStartError, match="did not start .*: no such interpreter"):
        box.run(StudentJob(_source("x = 1\n"), "f", ()), "numpy", limits.Limits())
