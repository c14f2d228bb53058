"""The bad-submission corpus as students hand it in.

A corpus file takes the correct functions of a chapter with the line
``from solutions.chNN_topic import *`` and then breaks or attacks one or two.
A submission cannot import ``solutions`` (the sandbox does not hold it), so
:func:`hand_in` copies the solution beside the submission as the student's
own helper module ``given_chNN_topic.py`` and imports it from there.
"""

import ast
import hashlib
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "tests" / "submissions"
SOLUTION_IMPORT = re.compile(r"^from solutions\.(\w+) import", re.MULTILINE)


def hand_in_text(text: str, folder: Path) -> str:
    """``text`` importing from helper modules in ``folder`` instead of ``solutions``."""
    def given(match: re.Match) -> str:
        shutil.copyfile(ROOT / "solutions" / f"{match.group(1)}.py",
                        folder / f"given_{match.group(1)}.py")
        return f"from given_{match.group(1)} import"

    return SOLUTION_IMPORT.sub(given, text)


def hand_in(path: Path, folder: Path, name: str | None = None) -> Path:
    """Write the submission ``path`` (and the solutions it takes) into ``folder``; its new path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or path.name)
    target.write_text(hand_in_text(path.read_text(), folder))
    return target


def without_attacks(text: str) -> str:
    """``text`` with the top-level functions its ``ATTACKED`` tuple names deleted, and not taken
    from the solutions either (so they are not defined)."""
    tree = ast.parse(text)
    attacked = next(ast.literal_eval(node.value) for node in tree.body if isinstance(
        node, ast.Assign) and getattr(node.targets[0], "id", "") == "ATTACKED")
    lines = text.splitlines(keepends=True)
    for node in sorted(tree.body, key=lambda n: -n.lineno):
        if isinstance(node, ast.FunctionDef) and node.name in attacked:
            del lines[node.lineno - 1 - len(node.decorator_list):node.end_lineno]
    return "".join(lines) + "\nfor _name in ATTACKED:\n    globals().pop(_name, None)\n"


def digest(folder: Path) -> str:
    """A hash of every ``.py`` file under ``folder`` and its name: changes if any is edited."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()
