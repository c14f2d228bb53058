"""Student sources: a ``.py`` file, a Jupyter notebook (``.ipynb``) or a MyST notebook (``.md``).

A source is read here, in the grader, but never executed here: the worker
executes it. What the grader needs without running it, which exercise
functions a source defines, comes from parsing it (:mod:`ast`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dlbook.grading import registry
from dlbook.grading.runtime.protocol import Source, SourceKind

SUFFIXES = (".py", ".ipynb", ".md")
MAX_MODULES = 200  # of a submission's own modules made importable in the sandbox
_CHAPTER = re.compile(r"^(ch\d\d)(?:_|$)")


class SourceError(ValueError):
    """A path that cannot be graded (missing, unreadable, or with nothing to grade)."""


@dataclass(frozen=True)
class StudentSource:
    """Code to grade: ``kind`` is ``"module"`` (runs whole) or ``"notebook"`` (cell by cell)."""

    label: str
    kind: SourceKind
    cells: tuple[tuple[str, str], ...]
    directory: str

    def for_worker(self, directory: str | None = None) -> Source:
        """The source as the worker receives it; ``directory`` is where the worker finds the
        submission's other modules (its own folder unless the sandbox mounts them elsewhere)."""
        return Source(self.label, self.kind, directory or self.directory, self.cells)

    def module_files(self) -> list[str]:
        """The regular ``.py`` files beside the source (no links): modules it may import."""
        folder = Path(self.directory)
        files = sorted(p for p in folder.glob("*.py") if p.is_file() and not p.is_symlink())
        return [str(p) for p in files[:MAX_MODULES]]

    def defined_functions(self) -> set[str]:
        """Names of the functions defined at top level (cells with syntax errors are skipped)."""
        names = set()
        for _, code in self.cells:
            try:
                tree = ast.parse(code)
            except (SyntaxError, ValueError):
                continue
            names |= {node.name for node in tree.body
                      if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        return names

    def chapter(self) -> str | None:
        match = _CHAPTER.match(Path(self.label).name)
        return match.group(1) if match else None

    def targets(self, exercise_ids: list[str] | None = None) -> list[registry.Exercise]:
        """The exercises this source is graded on.

        ``exercise_ids`` if given; else every exercise of the chapter its file
        name starts with (``ch03_...``); else every exercise of each chapter
        of which it defines at least one function. Missing functions of a
        targeted chapter score zero, they are not skipped.
        """
        if exercise_ids:
            return [registry.get(exercise_id) for exercise_id in exercise_ids]
        chapter = self.chapter()
        every = registry.exercises().values()
        if chapter and any(e.chapter == chapter for e in every):
            return registry.of_chapter(chapter)
        defined = self.defined_functions()
        chapters = {e.chapter for e in every if e.function in defined}
        if not chapters:
            raise SourceError(f"{self.label} defines none of the graded functions; name the file "
                              "after its chapter (ch03_backprop.py) or pass --exercise ID")
        return [e for e in every if e.chapter in chapters]


def load_source(path: str | Path) -> StudentSource:
    """Read ``path`` (``.py``, ``.ipynb`` or MyST ``.md``); SourceError says why it cannot."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"path must be an existing file or folder, got {str(path)!r}")
    if path.suffix not in SUFFIXES:
        raise SourceError(f"path must end in one of {', '.join(SUFFIXES)}, got {path.name!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from None
    directory = str(path.resolve().parent)
    if path.suffix == ".py":
        return StudentSource(str(path), "module", ((str(path), text),), directory)
    codes = _ipynb_cells(text, path) if path.suffix == ".ipynb" else _myst_cells(text, path)
    cells = tuple((f"{path.name}, cell {number}", _strip_magics(code))
                  for number, code in codes)
    if not cells:
        raise SourceError(f"{path} has no code cells")
    return StudentSource(str(path), "notebook", cells, directory)


def find_sources(path: str | Path) -> list[StudentSource]:
    """The sources at ``path``: one file, or every gradable file in a folder (sorted).

    In a folder, a ``.md`` file counts only if it is a MyST notebook (it has
    ``{code-cell}`` blocks): a README is not a submission.
    """
    path = Path(path)
    if path.is_dir():
        files = gradable_files(path)
        if not files:
            raise SourceError(f"{path} holds no .py, .ipynb or .md files")
        return [load_source(file) for file in files]
    return [load_source(path)]


def gradable_files(folder: Path) -> list[Path]:
    """The files of ``folder`` (not its sub-folders) that :func:`find_sources` grades, sorted."""
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()
                  and not p.name.startswith((".", "_")) and _is_gradable(p))


def _is_gradable(path: Path) -> bool:
    if path.suffix != ".md":
        return True
    try:
        return "{code-cell}" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # load_source will say why it cannot be read


def _ipynb_cells(text: str, path: Path) -> list[tuple[int, str]]:
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
        return [(number, "".join(cell["source"]) if isinstance(cell["source"], list)
                 else cell["source"])
                for number, cell in enumerate(cells, start=1) if cell["cell_type"] == "code"]
    except (ValueError, KeyError, TypeError) as error:
        raise SourceError(f"{path} is not a readable Jupyter notebook: {error}") from None


def _myst_cells(text: str, path: Path) -> list[tuple[int, str]]:
    import jupytext

    try:
        notebook = jupytext.reads(text, fmt="md:myst")
    except Exception as error:  # noqa: BLE001 (jupytext raises many kinds)
        raise SourceError(f"{path} is not a readable MyST notebook: {error}") from None
    return [(number, cell.source) for number, cell in enumerate(notebook.cells, start=1)
            if cell.cell_type == "code"]


def _strip_magics(code: str) -> str:
    """IPython magics and shell escapes become ``pass`` (same line numbers, valid Python)."""
    lines = code.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join("# " + line for line in lines)  # a cell magic: not Python
    return "\n".join(f"{line[:len(line) - len(line.lstrip())]}pass  # {line.strip()}"
                     if line.lstrip().startswith(("%", "!")) else line for line in lines)
