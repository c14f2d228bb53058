"""Writing results files (results.json, a gradebook): checked before grading starts, written whole
or not at all. ``option`` is the command-line option that named the path, for the messages."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def check_writable(path: str | os.PathLike, option: str = "--json") -> None:
    """ValueError naming ``option`` and the problem if a file cannot be written at ``path``."""
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{option} must be a file path, got the folder {str(path)!r}")
    folder = target.resolve().parent
    if not folder.is_dir():
        raise ValueError(f"{option} must be in an existing folder, got {str(path)!r}")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".dlbook-check-"):
            pass
    except OSError as error:
        raise ValueError(f"{option} {str(path)!r} cannot be written: {error.strerror}") from None


def write_json(path: str | os.PathLike, results: dict, option: str = "--json") -> None:
    """Write ``results`` to ``path`` atomically (see :func:`write_text`)."""
    write_text(path, json.dumps(results, indent=2), option)


def write_text(path: str | os.PathLike, text: str, option: str = "--json") -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, renamed."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.resolve().parent, prefix=".results-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise RuntimeError(f"cannot write {option} {str(path)!r}: {error}") from None
