"""Writing results.json: checked before grading starts, written whole or not at all."""

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


def write_json(path: str | os.PathLike, results: dict) -> None:
    """Write ``results`` to ``path`` atomically: a temporary file in the same folder, renamed."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.resolve().parent, prefix=".results-")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(results, stream, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise RuntimeError(f"cannot write --json {str(path)!r}: {error}") from None
