"""Running a command as an ordinary user, the way a grader on a student's own machine runs.

The tests run as root. :func:`as_user` starts a command as :data:`UID` (no
capabilities) in a private mount namespace that is the machine's own file
system, except that the folders on the way to the interpreter, the virtual
environment and the repository are made traversable (on this machine Python
lives under ``/root``, which only root may enter). It uses bubblewrap and
setpriv, as the grader does.
"""

import os
import stat
import sys
from pathlib import Path

UID = 4242  # an ordinary user with no entry in /etc/passwd and no files of its own
ROOT = Path(__file__).resolve().parents[1]


def _closed_folders(paths) -> dict[Path, set[Path]]:
    """Each folder on the way to ``paths`` that others may not enter, with the children needed."""
    closed: dict[Path, set[Path]] = {}
    for path in paths:
        parts = Path(path).resolve().parts
        for depth in range(2, len(parts)):
            folder = Path(*parts[:depth])
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                closed.setdefault(folder, set()).add(folder / parts[depth])
    return closed


def as_user(argv: list[str], home: Path) -> list[str]:
    """``argv`` to run as :data:`UID` with ``HOME=home`` (a folder that user may write)."""
    opened = []
    closed = _closed_folders([sys.base_prefix, sys.prefix, ROOT, home])
    for folder in sorted(closed, key=lambda f: len(f.parts)):  # an empty folder, open to all
        opened += ["--perms", "0755", "--tmpfs", str(folder)]
        for child in sorted(closed[folder]):
            opened += ["--bind", str(child), str(child)]
    return ["bwrap", "--dev-bind", "/", "/", *opened, "--cap-drop", "ALL",
            "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP", "--",
            "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--", "env", f"HOME={home}", *argv]
