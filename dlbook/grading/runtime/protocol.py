"""The grading protocol: the records that cross the sandbox's boundary, and how they travel.

The supervisor (:mod:`dlbook.grading.supervisor`, trusted) starts a worker
(:mod:`.boot`, then :mod:`.worker`, which runs the student's code) with

- a :class:`Request` in the environment (``DLBOOK_REQUEST``, JSON): the task,
  the kind of exercise and the limits;
- a job on standard input (a :mod:`.codec` message): a :class:`StudentJob`
  (load a :class:`Source`, call its function) or a :class:`VerifyJob`
  (measure a Keras model a submission returned).

The worker answers with frames appended to its result file: :class:`Loaded`,
then :class:`ImportFailed`, :class:`Missing` or :class:`NotCallable`, or one
:class:`Called` per call and :class:`Done`; a verifier sends one
:class:`Verified`.

Every record travels as a dict of plain values (``wire()``), which the codec
sends without pickle. What a worker sends is hostile input: :func:`decode`
checks the type of every field, bounds every string, and raises
:class:`ProtocolError` for anything that is not a frame.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import ClassVar, Literal

import numpy as np

from . import codec
from .limits import Limits

Task = Literal["student", "verify"]
Kind = Literal["numpy", "keras"]  # the libraries a worker loads before the student's code
SourceKind = Literal["module", "notebook"]
Event = Literal["loaded", "import_error", "missing", "not_callable", "call", "done", "verified"]


class ProtocolError(ValueError):
    """A message from a worker that is not a frame of this protocol (the message says why)."""


class _Record:
    """A record that travels as the dict of its fields, nested records as dicts too."""

    def wire(self) -> dict:
        # not dataclasses.asdict: it would deep-copy the student's values
        return {spec.name: _wire(getattr(self, spec.name)) for spec in fields(self)}


def _wire(value):
    # type(), not isinstance: a student's value can fake its __class__
    return value.wire() if issubclass(type(value), _Record) else value


# ---------------------------------------------------------------------------
# Supervisor -> worker


@dataclass(frozen=True)
class Request:
    """What a worker is started for: its task, the kind of exercise, and its limits."""

    task: Task
    kind: Kind
    limits: Limits

    def to_json(self) -> str:
        return json.dumps({"task": self.task, "kind": self.kind, "limits": asdict(self.limits)})

    @classmethod
    def from_json(cls, text: str) -> Request:
        request = json.loads(text)
        return cls(request["task"], request["kind"], Limits(**request["limits"]))


@dataclass(frozen=True)
class Source(_Record):
    """A submission's code as a worker receives it.

    ``kind`` ``"module"`` runs whole, as ``import`` would; ``"notebook"`` runs
    cell by cell (``cells`` holds ``(name, code)`` pairs). ``directory`` is
    where the submission's own modules are found.
    """

    path: str
    kind: SourceKind
    directory: str
    cells: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StudentJob(_Record):
    """Load ``source``, find ``function`` in it, and call it on each argument tuple of ``calls``."""

    task: ClassVar[Task] = "student"
    source: Source
    function: str
    calls: tuple[tuple, ...]

    @classmethod
    def from_wire(cls, message: dict) -> StudentJob:
        source = message["source"]
        cells = tuple(tuple(cell) for cell in source["cells"])
        return cls(Source(source["path"], source["kind"], source["directory"], cells),
                   message["function"], tuple(message["calls"]))


@dataclass(frozen=True)
class Training(_Record):
    """A short training run: ``epochs`` of Adam at ``learning_rate`` on ``(x, y)``, seeded."""

    x: np.ndarray
    y: np.ndarray
    loss: str
    epochs: int
    learning_rate: float = 0.01
    seed: int = 0


@dataclass(frozen=True)
class VerifyJob(_Record):
    """Rebuild ``model`` and describe it; train it briefly (``train``), or measure its accuracy
    on each split of ``accuracy`` (``{name: (x, y)}``). No student code runs."""

    task: ClassVar[Task] = "verify"
    model: codec.KerasModelData
    train: Training | None = None
    accuracy: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    @classmethod
    def from_wire(cls, message: dict) -> VerifyJob:
        train = None if message["train"] is None else Training(**message["train"])
        return cls(message["model"], train, message["accuracy"])


Job = StudentJob | VerifyJob
JOBS = {job.task: job for job in (StudentJob, VerifyJob)}


# ---------------------------------------------------------------------------
# Worker -> supervisor


@dataclass(frozen=True)
class ErrorInfo(_Record):
    """An exception from the student's code: its type, message and the student's own traceback
    lines; ``not_implemented`` for NotImplementedError, ``reference`` for an import of the book's
    reference implementations."""

    type: str
    message: str
    traceback: str
    not_implemented: bool = False
    reference: bool = False


class _Frame(_Record):
    """A message from the worker; ``class Done(_Frame, event="done")`` names its event."""

    event: ClassVar[Event]

    def __init_subclass__(cls, event: Event, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.event = event

    def wire(self) -> dict:
        return {"event": self.event, **super().wire()}


@dataclass(frozen=True)
class Loaded(_Frame, event="loaded"):
    """The student's code has run; ``notes`` say which notebook cells were skipped or raised."""

    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportFailed(_Frame, event="import_error"):
    """The student's module raised while it was executed."""

    error: ErrorInfo


@dataclass(frozen=True)
class Missing(_Frame, event="missing"):
    """The function is not defined; ``defined`` names the public functions that are."""

    defined: tuple[str, ...]


@dataclass(frozen=True)
class NotCallable(_Frame, event="not_callable"):
    """The name is defined but is not a function; ``type`` is what it is."""

    type: str


@dataclass(frozen=True)
class Called(_Frame, event="call"):
    """One call, ``index`` in the job's order: it returned ``value`` (with ``args_after``, the
    array parts of its arguments after the call), raised ``error``, or returned something that
    cannot be sent as data (``unencodable`` says why)."""

    index: int
    seconds: float
    value: object = None
    args_after: list | None = None
    error: ErrorInfo | None = None
    unencodable: str | None = None


@dataclass(frozen=True)
class Done(_Frame, event="done"):
    """Every call of the job has been made."""


@dataclass(frozen=True)
class Verified(_Frame, event="verified"):
    """The verifier's measurements (``result``), or why there are none (``failure``)."""

    result: dict | None = None
    failure: str | None = None

    def answer(self) -> dict | str:
        return self.failure if self.result is None else self.result


Frame = Loaded | ImportFailed | Missing | NotCallable | Called | Done | Verified


def send(fd: int, frame: Frame) -> None:
    """Append ``frame`` to the result file ``fd`` (the worker's side)."""
    codec.write_frame(fd, frame.wire())


def encode(frame: Frame) -> bytes:
    """The message :func:`send` would write for ``frame``."""
    return codec.encode(frame.wire())


# ---------------------------------------------------------------------------
# Reading what a worker sent (the supervisor's side): hostile input


def decode(message: bytes) -> Frame:
    """The frame in ``message``; :class:`ProtocolError` for anything else, never another exception.

    Every field must have its type; strings are cut to lengths a report can show.
    """
    try:
        value = codec.decode(message)
    except codec.DecodeError as error:
        raise ProtocolError(str(error)) from None
    if not isinstance(value, dict) or type(value.get("event")) is not str or (
            value["event"] not in _READERS):
        raise ProtocolError("a result frame is not a known event")
    return _READERS[value["event"]](_Fields(value))


class _Fields:
    """The fields of one decoded frame, each taken only with the type it must have."""

    def __init__(self, message: dict):
        self.message = message

    def get(self, name: str, kind: type, optional: bool = False):
        value = self.message.get(name)
        if optional and value is None:
            return None
        if type(value) is not kind:
            raise ProtocolError(f"a {self.message['event']} frame has no {name} of type "
                                f"{kind.__name__}")
        return value

    def text(self, name: str, limit: int, optional: bool = False) -> str | None:
        value = self.get(name, str, optional)
        return None if value is None else value[:limit]

    def texts(self, name: str, count: int, limit: int) -> tuple[str, ...]:
        values = self.get(name, tuple)
        if not all(type(value) is str for value in values):
            raise ProtocolError(f"a {self.message['event']} frame has {name} that are not all str")
        return tuple(value[:limit] for value in values[:count])

    def error(self, optional: bool = False) -> ErrorInfo | None:
        error = self.get("error", dict, optional)
        if error is None:
            return None
        if not all(type(error.get(name)) is kind for name, kind in _ERROR_FIELDS.items()):
            raise ProtocolError("a result frame has a malformed error")
        return ErrorInfo(error["type"][:100], error["message"][:2000], error["traceback"][:4000],
                         error["not_implemented"], error["reference"])


_ERROR_FIELDS = {"type": str, "message": str, "traceback": str, "not_implemented": bool,
                 "reference": bool}


def _read_called(frame: _Fields) -> Called:
    return Called(frame.get("index", int), frame.get("seconds", float), frame.message.get("value"),
                  frame.get("args_after", list, optional=True), frame.error(optional=True),
                  frame.text("unencodable", 500, optional=True))


def _read_verified(frame: _Fields) -> Verified:
    verified = Verified(frame.get("result", dict, optional=True),
                        frame.text("failure", 2000, optional=True))
    if (verified.result is None) == (verified.failure is None):
        raise ProtocolError("a verified frame must hold either a result or a failure")
    return verified


_READERS = {
    "loaded": lambda frame: Loaded(frame.texts("notes", 20, 300)),
    "import_error": lambda frame: ImportFailed(frame.error()),
    "missing": lambda frame: Missing(frame.texts("defined", 40, 100)),
    "not_callable": lambda frame: NotCallable(frame.text("type", 40)),
    "call": _read_called,
    "done": lambda frame: Done(),
    "verified": _read_verified,
}
