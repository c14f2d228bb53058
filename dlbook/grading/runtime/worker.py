"""The worker side of the sandbox: what runs in a worker process, before and around student code.

Order of events in a worker (started in a sandbox by :mod:`.boot`, or forked
from a notebook kernel by :func:`dlbook.grading.check`):

1. Trusted set-up: the job is decoded and fixtures (arguments such as a
   Keras model or a gradient function) are built; the limits are applied.
2. The stand-in ``dlbook`` is installed (:mod:`.standin`), then the
   student's code is executed.
3. Each call's result is written as a frame (:mod:`.protocol`) to the result
   file *as soon as it returns*, so a later call that hangs or kills the
   process does not take the earlier results with it.

Nothing here compares or scores: the supervisor does that in its own process
(:mod:`dlbook.grading.supervisor`).
"""

from __future__ import annotations

import ast
import linecache
import os
import sys
import sysconfig
import time
import traceback
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import codec, limits, standin
from .protocol import (
    Called,
    Done,
    ErrorInfo,
    Frame,
    ImportFailed,
    Loaded,
    Missing,
    NotCallable,
    Source,
    StudentJob,
)

Emit = Callable[[Frame], None]  # sends one frame to the supervisor
RUNTIME_DIR = str(Path(__file__).resolve().parent)
WORKER_ENV = "DLBOOK_GRADING_WORKER"
_LIBRARY_DIRS = tuple({*(sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")),
                       str(Path(np.__file__).resolve().parents[1])})


# ---------------------------------------------------------------------------
# 1. A forked worker (check() in a notebook)


def enter_forked_worker(worker_limits: limits.Limits, stdout_path: str, stderr_path: str,
                        keep_fds: tuple[int, ...] = ()) -> None:
    """Turn a freshly forked process into a worker held to ``worker_limits``.

    A new session (so the caller can kill the whole process group), stdout and
    stderr into capture files, every other inherited descriptor closed.
    """
    os.setsid()
    _redirect(0, os.devnull, os.O_RDONLY)
    _redirect(1, stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _redirect(2, stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _close_inherited_fds(keep_fds)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (lives as long as the process)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.environ[WORKER_ENV] = "1"
    limits.apply(worker_limits)


def _redirect(fd: int, path: str, flags: int) -> None:
    target = os.open(path, flags, 0o600)
    os.dup2(target, fd)
    os.close(target)


def _close_inherited_fds(keep_fds: tuple[int, ...]) -> None:
    """Close the parent's descriptors (a kernel's sockets, a server's pipes)."""
    low = 3
    for fd in sorted(keep_fds):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


# ---------------------------------------------------------------------------
# 2. Trusted set-up


def resolve_fixture(fixture: codec.Fixture):
    """Build a fixture argument from :mod:`.fixtures` (and only from there)."""
    from . import fixtures

    if fixture.target not in fixtures.__all__:
        raise codec.DecodeError(f"unknown fixture {fixture.target!r}")
    return getattr(fixtures, fixture.target)(**fixture.kwargs)


# ---------------------------------------------------------------------------
# 3. Loading the student's code


class StudentImportError(Exception):
    """The student's module raised while it was executed; ``error`` describes it."""

    def __init__(self, error: ErrorInfo):
        super().__init__(error.message)
        self.error = error


def load_student_code(source: Source) -> tuple[dict, list[str]]:
    """Execute the student's code; return its namespace and notes about skipped cells.

    A module (``source.kind == "module"``) runs whole, as ``import`` would: if
    it raises, :class:`StudentImportError`. A notebook runs cell by cell,
    keeping only imports, definitions and assignments without calls (so
    grading does not re-run experiments); a cell that raises is noted and the
    next one runs.
    """
    name = Path(source.path).stem.replace("-", "_") or "submission"
    module = types.ModuleType(name)
    module.__file__ = source.path
    sys.modules[name] = module
    if source.directory not in sys.path:
        sys.path.insert(0, source.directory)
    notes: list[str] = []
    for cell_name, code in source.cells:
        _register_lines(cell_name, code)
        try:
            tree = ast.parse(code, filename=cell_name)
            if source.kind == "notebook":
                tree, skipped = definitions_only(tree)
                notes += [f"{cell_name}, line {line}: skipped (notebooks are graded from their "
                          "imports and definitions only)" for line in skipped]
            exec(compile(tree, cell_name, "exec"), module.__dict__)  # noqa: S102 (sandboxed)
        except BaseException as error:  # noqa: BLE001 (anything the student raises)
            described = describe_error(error)
            if source.kind == "module":
                raise StudentImportError(described) from None
            notes.append(f"{cell_name} raised {described.type}: {described.message}")
    return module.__dict__, notes


def _register_lines(filename: str, code: str) -> None:
    """Let tracebacks quote lines of code that exist only in memory (notebook cells)."""
    lines = code.splitlines(keepends=True)
    linecache.cache[filename] = (len(code), None, lines, filename)


def definitions_only(tree: ast.Module) -> tuple[ast.Module, list[int]]:
    """Keep imports, ``def``/``class`` and call-free assignments; return the skipped lines."""
    kept, skipped = [], []
    for statement in tree.body:
        (kept if _is_definition(statement) else skipped).append(statement)
    tree.body = kept
    return tree, [statement.lineno for statement in skipped]


def _is_definition(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                              ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        return not _contains_call(statement.value)
    return False


def _contains_call(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return True
    if isinstance(node, ast.Lambda):
        return False  # a lambda's body runs only when it is called
    return any(_contains_call(child) for child in ast.iter_child_nodes(node))


# ---------------------------------------------------------------------------
# 4. Calling the function


def describe_error(error: BaseException) -> ErrorInfo:
    """Type, message and the student's own traceback lines of ``error``.

    ``reference`` says the error is an import of the book's reference
    implementations (:func:`.standin.is_reference_module`).
    """
    return ErrorInfo(
        type=type(error).__name__,
        message=_safe_message(error),
        traceback=student_traceback(error),
        not_implemented=isinstance(error, NotImplementedError),
        reference=isinstance(error, ImportError) and standin.is_reference_module(
            getattr(error, "name", None) or ""),
    )


def _safe_message(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"the code called sys.exit({error.code!r})"
    try:
        return str(error)[:2000]
    except Exception:  # noqa: BLE001 (a message that cannot be printed is still a message)
        return f"<{type(error).__name__} whose message could not be printed>"


def student_traceback(error: BaseException) -> str:
    """The traceback of ``error`` without the grader's frames or library frames."""
    try:
        summary = traceback.TracebackException.from_exception(error, capture_locals=False)
        frames = [frame for frame in summary.stack if _is_student_frame(frame.filename)]
        if not frames and summary.stack:
            frames = [summary.stack[-1]]
        head = ["Traceback (most recent call last):\n"] if frames else []
        body = traceback.StackSummary.from_list(frames).format()
        return "".join(head + body + list(summary.format_exception_only()))[-4000:]
    except Exception:  # noqa: BLE001 (an exception that defeats formatting)
        return f"{type(error).__name__} (traceback unavailable)"


def _is_student_frame(filename: str) -> bool:
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    if path.startswith(RUNTIME_DIR) or path.startswith("<frozen"):
        return False
    return not any(path.startswith(directory) for directory in _LIBRARY_DIRS)


def call_frame(function: Callable, index: int, args: tuple,
               catch: type[BaseException] | tuple = BaseException) -> Called:
    """Call ``function(*args)`` and describe what happened as a result frame."""
    start = time.perf_counter()
    try:
        value = function(*args)
    except catch as error:
        return Called(index, time.perf_counter() - start, error=describe_error(error))
    seconds = time.perf_counter() - start
    # The supervisor compares these with the arguments it sent to see in-place changes.
    after = [_arrays_only(arg) for arg in args]
    return Called(index, seconds, value, after)


def _arrays_only(arg):
    """The array parts of an argument (arrays, lists of arrays); None for the rest."""
    if type(arg) is np.ndarray:
        return arg
    if isinstance(arg, (list, tuple)):  # our own lists, and fixtures' named tuples
        return [_arrays_only(item) for item in arg]
    return None


def emit_call(emit: Emit, frame: Called) -> None:
    """Emit a call frame, or one saying why its value cannot be sent as data."""
    try:
        emit(frame)
    except Exception:  # noqa: BLE001 (encoding may run the student's methods)
        emit(Called(frame.index, frame.seconds, unencodable=_encoding_problem(frame.value)))


def _encoding_problem(value) -> str:
    """Why ``value`` cannot be sent, naming the part of it that is the problem."""
    try:
        codec.encode(value, root="your return value")
    except Exception as error:  # noqa: BLE001 (the same failure, described from the value)
        return _safe_message(error)
    return "it could not be encoded"


def run_calls(function: Callable, calls: list[tuple] | tuple[tuple, ...], emit: Emit,
              catch: type[BaseException] | tuple = BaseException) -> None:
    """Call ``function`` on each argument tuple, emitting each frame at once."""
    for index, args in enumerate(calls):
        emit_call(emit, call_frame(function, index, args, catch))


def find_function(namespace: dict, name: str) -> tuple[Callable | None,
                                                      Missing | NotCallable | None]:
    """The student's function ``name``, or the frame that says why there is none."""
    if name not in namespace:
        defined = sorted(key for key, value in namespace.items()
                         if callable(value) and not key.startswith("_")
                         and not isinstance(value, type(sys)))
        return None, Missing(tuple(defined[:40]))
    function = namespace[name]
    if not callable(function):
        return None, NotCallable(type(function).__name__)
    return function, None


def run_student_job(job: StudentJob, emit: Emit) -> None:
    """The whole life of a worker after set-up: load, find, call, report."""
    standin.install()
    try:
        namespace, notes = load_student_code(job.source)
    except StudentImportError as failure:
        emit(ImportFailed(failure.error))
        return
    emit(Loaded(tuple(notes[:50])))
    function, problem = find_function(namespace, job.function)
    if problem:
        emit(problem)
        return
    run_calls(function, job.calls, emit)
    emit(Done())


def exit_now(status: int, save_coverage: bool = True) -> None:
    """``os._exit``, after saving coverage data if a test run is measuring this process.

    ``os._exit`` skips ``atexit`` handlers, where coverage would save.
    """
    try:
        coverage = sys.modules.get("coverage") if save_coverage else None
        current = coverage.Coverage.current() if coverage else None
        if current is not None:
            current.stop()
            current.save()
    finally:  # whatever happens, this process must not return into its parent's code
        os._exit(status)
