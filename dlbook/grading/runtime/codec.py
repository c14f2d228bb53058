"""Values across the process boundary, without pickle.

A student's process sends back only data: ``None``, booleans, numbers,
strings, NumPy arrays and scalars, lists, tuples and string-keyed dicts of
them, and Keras models as their JSON configuration plus weight arrays
(:class:`KerasModelData`). Unpickling would let a submission run code in the
grader; this format cannot. A message is

    b"DLBG" | u32 header length | header (JSON) | per array: u64 length | .npy bytes

where the JSON header holds the value with arrays replaced by their index and
the arrays are ``np.save`` bytes read back with ``allow_pickle=False``.

Messages are stored back to back as frames (u64 length, then the message), so
the results a worker wrote before it died can still be read.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import sys
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"DLBG"
MAX_DEPTH = 64
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


class EncodeError(TypeError):
    """A value that cannot be sent as plain data (the message names where it is)."""


class DecodeError(ValueError):
    """Bytes that are not a well-formed message."""


@dataclass(frozen=True)
class KerasModelData:
    """A Keras model as data: ``model.to_json()`` and ``model.get_weights()``."""

    config: str
    weights: tuple = ()


@dataclass(frozen=True)
class Fixture:
    """An argument the worker builds itself before student code runs.

    ``target`` names a factory in :mod:`.fixtures` (a function
    cannot travel as data); the worker calls it with ``kwargs``. Only the
    worker may resolve fixtures: the grader refuses them in what it reads.
    """

    target: str
    kwargs: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Encoding


def encode(value, root: str = "value") -> bytes:
    """The message bytes for ``value``; :class:`EncodeError` names the bad part from ``root``."""
    arrays: list[bytes] = []
    node = _to_node(value, arrays, root, 0)
    header = json.dumps({"value": node, "arrays": len(arrays)}, allow_nan=False).encode()
    parts = [MAGIC, _U32.pack(len(header)), header]
    for blob in arrays:
        parts += [_U64.pack(len(blob)), blob]
    return b"".join(parts)


def _to_node(value, arrays: list, path: str, depth: int):
    if depth > MAX_DEPTH:
        raise EncodeError(f"{path} is nested more than {MAX_DEPTH} levels deep")
    kind = type(value)  # type(), not isinstance: a class can fake its __class__
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if issubclass(kind, np.ndarray):
        return {"array": _add_array(np.ndarray.view(value, np.ndarray), arrays, path)}
    if issubclass(kind, np.generic):
        return {"scalar": _add_array(np.asarray(value), arrays, path)}
    if issubclass(kind, (bool, int, float, str)):
        # A subclass (one whose __eq__ always says True, say) is sent as its plain value.
        base = next(b for b in (bool, int, float, str) if issubclass(kind, b))
        return _to_node(base(value) if base is not float else float.__float__(value),
                        arrays, path, depth)
    if issubclass(kind, (list, tuple)):
        items = [_to_node(item, arrays, f"{path}[{i}]", depth + 1)
                 for i, item in enumerate(tuple.__iter__(value) if issubclass(kind, tuple)
                                          else list.__iter__(value))]
        return {"tuple" if issubclass(kind, tuple) else "list": items}
    if issubclass(kind, dict):
        return {"dict": _dict_node(value, arrays, path, depth)}
    if kind is KerasModelData or _is_keras_model(value):
        return {"keras_model": _keras_node(value, arrays, path, depth)}
    if kind is Fixture:
        return {"fixture": value.target, "kwargs": _to_node(value.kwargs, arrays, path, depth + 1)}
    raise EncodeError(
        f"{path} is a {kind.__module__}.{kind.__qualname__}; only None, numbers, strings, "
        "NumPy arrays and lists, tuples and dicts of them can be graded"
    )


def _dict_node(value: dict, arrays: list, path: str, depth: int) -> dict:
    node = {}
    for key, item in dict.items(value):
        if type(key) is not str:
            raise EncodeError(f"{path} has a key of type {type(key).__name__}; keys must be str")
        node[key] = _to_node(item, arrays, f"{path}[{key!r}]", depth + 1)
    return node


def _add_array(array: np.ndarray, arrays: list, path: str) -> int:
    if array.dtype.hasobject:
        raise EncodeError(f"{path} is an array of dtype object; return numbers, not objects")
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    arrays.append(buffer.getvalue())
    return len(arrays) - 1


def _is_keras_model(value) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def _keras_node(value, arrays: list, path: str, depth: int) -> dict:
    data = value if type(value) is KerasModelData else KerasModelData(
        value.to_json(), tuple(value.get_weights()))
    return {"config": str(data.config),
            "weights": _to_node(list(data.weights), arrays, f"{path}.weights", depth + 1)}


# ---------------------------------------------------------------------------
# Decoding


def decode(message: bytes, resolve_fixture=None):
    """The value in ``message``; :class:`DecodeError` for anything else, never another exception.

    ``resolve_fixture(Fixture) -> value`` builds fixtures; without it (the
    grader's side) a fixture in the message is a :class:`DecodeError`.
    The message may come from a hostile process: every length is checked
    against the bytes actually present before anything is allocated.
    """
    try:
        return _decode(message, resolve_fixture)
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, MemoryError) as error:
        raise DecodeError(f"malformed message: {type(error).__name__}: {str(error)[:200]}") from None


def _decode(message: bytes, resolve_fixture):
    if not message.startswith(MAGIC) or len(message) < len(MAGIC) + _U32.size:
        raise DecodeError("not a dlbook grading message")
    offset = len(MAGIC)
    (header_length,) = _U32.unpack_from(message, offset)
    offset += _U32.size
    if offset + header_length > len(message):
        raise DecodeError("message ends inside its header")
    try:
        header = json.loads(message[offset:offset + header_length])
    except (ValueError, RecursionError) as error:
        raise DecodeError(f"unreadable message header: {error}") from None
    offset += header_length
    if not (isinstance(header, dict) and set(header) == {"value", "arrays"}
            and type(header["arrays"]) is int and header["arrays"] >= 0):
        raise DecodeError("message header is not {'value': ..., 'arrays': n}")
    arrays = []
    for _ in range(header["arrays"]):
        blob, offset = _read_sized(message, offset, _U64)
        arrays.append(_load_array(blob))
    if offset != len(message):
        raise DecodeError(f"{len(message) - offset} unexpected bytes after the message")
    return _from_node(header["value"], arrays, resolve_fixture, 0)


def _read_sized(message: bytes, offset: int, size: struct.Struct) -> tuple[bytes, int]:
    if offset + size.size > len(message):
        raise DecodeError("message ends inside a length field")
    (length,) = size.unpack_from(message, offset)
    offset += size.size
    if offset + length > len(message):
        raise DecodeError("message ends inside an array")
    return message[offset:offset + length], offset + length


def _load_array(blob: bytes) -> np.ndarray:
    """The array in ``.npy`` bytes, refused unless its header describes exactly the bytes that follow.

    ``np.load`` would allocate whatever shape the header claims (say
    ``(10**12,)``) before reading; here the size is checked first.
    """
    stream = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version}")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran_order, dtype = read_header(stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as error:
        raise DecodeError(f"unreadable array: {error}") from None
    if dtype.hasobject:
        raise DecodeError("an array of Python objects cannot be read as data")
    if any(type(n) is not int or n < 0 for n in shape):
        raise DecodeError(f"unreadable array: bad shape {shape!r}")
    data = memoryview(blob)[stream.tell():]
    size = math.prod(shape) * dtype.itemsize
    if size != len(data) or (dtype.itemsize == 0 and math.prod(shape)):
        raise DecodeError(f"array header says shape {shape} of {dtype} ({size:,} bytes), "
                          f"but {len(data):,} bytes follow")
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape)) if size else np.empty(
        0, dtype)
    return flat.reshape(shape, order="F" if fortran_order else "C").copy()


def _from_node(node, arrays: list, resolve_fixture, depth: int):
    if depth > MAX_DEPTH:
        raise DecodeError(f"value nested more than {MAX_DEPTH} levels deep")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    tags = [key for key in node if key != "kwargs"] if isinstance(node, dict) else []
    if len(tags) != 1 or len(node) > 2 or ("kwargs" in node and tags[0] != "fixture"):
        return _malformed(node)
    (tag,) = tags
    body = node[tag]
    if tag == "float":
        return float(body) if body in ("nan", "inf", "-inf") else _malformed(node)
    if tag in ("array", "scalar"):
        if not isinstance(body, int) or not 0 <= body < len(arrays):
            raise DecodeError(f"array index {body!r} out of range")
        return arrays[body] if tag == "array" else arrays[body][()]
    if tag in ("list", "tuple") and isinstance(body, list):
        items = [_from_node(item, arrays, resolve_fixture, depth + 1) for item in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and isinstance(body, dict):
        return {key: _from_node(item, arrays, resolve_fixture, depth + 1)
                for key, item in body.items()}
    if tag == "keras_model" and isinstance(body, dict) and isinstance(body.get("config"), str):
        weights = _from_node(body.get("weights"), arrays, resolve_fixture, depth + 1)
        if not (isinstance(weights, list) and all(isinstance(w, np.ndarray) for w in weights)):
            raise DecodeError("keras_model weights must be a list of arrays")
        return KerasModelData(body["config"], tuple(weights))
    if tag == "fixture" and isinstance(body, str):
        if resolve_fixture is None:
            raise DecodeError("a fixture cannot be sent to the grader")
        kwargs = _from_node(node.get("kwargs"), arrays, resolve_fixture, depth + 1)
        return resolve_fixture(Fixture(body, kwargs))
    return _malformed(node)


def _malformed(node):
    raise DecodeError(f"malformed value node {str(node)[:80]!r}")


# ---------------------------------------------------------------------------
# Frames


def write_frame(fd: int, value) -> None:
    """Append ``value`` as one frame to the file descriptor ``fd`` (unbuffered)."""
    message = encode(value)
    view = memoryview(_U64.pack(len(message)) + message)
    while view:
        view = view[os.write(fd, view):]


def split_frames(data: bytes) -> list[bytes]:
    """The complete frames in ``data``; a frame cut short by a dying process is dropped."""
    frames, offset = [], 0
    while offset + _U64.size <= len(data):
        (length,) = _U64.unpack_from(data, offset)
        end = offset + _U64.size + length
        if end > len(data):
            break
        frames.append(data[offset + _U64.size:end])
        offset = end
    return frames
