"""Files a clone keeps beside the package, which an installed dlbook carries inside it.

In a clone the exercise stubs are ``exercises/`` and the pinned versions the
book is built with are ``requirements.txt``, both at the repository root. A
wheel has no repository root, so building it copies them into
``dlbook/_shipped/`` (``setup.py``). These functions find them in either place;
``solutions/`` is shipped nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SHIPPED = PACKAGE / "_shipped"  # only in an installed wheel
CLONE = PACKAGE.parent  # the repository root when dlbook runs from a clone


def _shipped(name: str) -> Path:
    """``name`` inside an installed wheel, else at the root of the clone."""
    return SHIPPED / name if SHIPPED.is_dir() else CLONE / name


def stub_folder() -> Path:
    """The folder of the exercise stubs, ``chNN_<topic>.py``."""
    folder = _shipped("exercises")
    if not folder.is_dir():
        raise RuntimeError(f"this dlbook has no exercise stubs (looked in {folder}); reinstall it "
                           "from a wheel or a clone")
    return folder


def stub_file(chapter: str) -> Path:
    """The stub file of ``chapter`` (``"ch03"``): ``.../ch03_backprop.py``."""
    if not isinstance(chapter, str) or not re.fullmatch(r"ch\d\d", chapter):
        raise ValueError(f"chapter must look like 'ch03', got {chapter!r}")
    matches = sorted(stub_folder().glob(f"{chapter}_*.py"))
    if len(matches) != 1:
        known = ", ".join(sorted(p.name.split("_")[0] for p in stub_folder().glob("ch*_*.py")))
        raise ValueError(f"chapter {chapter!r} has no coding exercises; chapters with some: {known}")
    return matches[0]


def pinned_versions() -> dict[str, str]:
    """``{distribution: version}`` of the pinned lock the book was built and tested with."""
    lock = _shipped("requirements.txt")
    if not lock.is_file():
        raise RuntimeError(f"this dlbook has no record of the versions it was built with "
                           f"(looked for {lock})")
    pins = {}
    for line in lock.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;#]+)", line.strip())
        if match:
            pins[canonical_name(match[1])] = match[2]
    return pins


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Keras_Tuner`` -> ``keras-tuner``."""
    return re.sub(r"[-_.]+", "-", name).lower()
