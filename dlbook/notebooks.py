"""The chapters as notebooks that run where their reader opens them.

Every chapter ``book/NN_<name>.md`` (a MyST text notebook, the source) has
a twin ``book/NN_<name>.ipynb`` written from it by jupytext: the file the
Colab and Binder buttons open (the book's theme points them at an ``.ipynb``
beside the page's source). Its first code cell, hidden in the HTML, installs
dlbook at the book's version, with the ``keras`` extra where the chapter
needs Keras, and does nothing where the chapter's imports are already
there (as in the book's build).

``sync`` rewrites the install cells and the twins; ``python3 dev.py book``
runs it before every build, and a test fails while a twin is out of date.
Where the install cell gets dlbook from is one setting, ``notebook_install_from``
in ``_config.yml``: ``git`` (the repository at the tag ``v<version>``) or
``index`` (the package index, e.g. PyPI).
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from dlbook import __version__, distribution, validation

MARK = "# dlbook install cell"  # the first line of the install cell, how sync finds it
INSTALL_FROM = ("git", "index")
CELL_OPENING = "```{code-cell} ipython3\n:tags: [remove-cell]\n"
# Chapters that run on dlbook's core alone: their install cell leaves Keras out (the
# notebook test runs one in an environment without Keras; every other chapter uses it)
NUMPY_CHAPTERS = ("02_gradient_descent",)

INSTALL_CELL = '''{mark}: installs dlbook {version} and what this chapter needs where they are
# missing (Colab, Binder, your own Jupyter); where they are installed it does nothing.
import importlib.util, os, subprocess, sys
if any(importlib.util.find_spec(name) is None for name in {modules}):
    package = {package}
    requirement = os.environ.get("DLBOOK_REQUIREMENT", "{requirement}").format(package=package)
    print(f"Installing {{requirement}} ...", flush=True)
    if subprocess.call([sys.executable, "-m", "pip", "install", "-q", requirement]):
        raise SystemExit(f"This notebook needs dlbook {version}, which could not be installed "
                         f"(no network?). Install it, restart the kernel and run the notebook "
                         f"again: pip install \\"{{requirement}}\\"")
'''
# Colab has TensorFlow already: installing tensorflow-cpu over it would mix two builds
KERAS_PACKAGE = '"dlbook[keras-any]" if importlib.util.find_spec("tensorflow") else "dlbook[keras]"'


@dataclass(frozen=True)
class Chapter:
    """A chapter source and its notebook twin."""

    source: Path

    @property
    def notebook(self) -> Path:
        return self.source.with_suffix(".ipynb")


def chapters(root: Path) -> list[Chapter]:
    """The chapters of the book at ``root``: the MyST notebooks under ``book/``."""
    sources = sorted((root / "book").glob("*.md"))
    return [Chapter(s) for s in sources
            if re.match(r"---\n.*?^file_format: mystnb$.*?^---$", s.read_text(), flags=re.S | re.M)]


def needs_keras(chapter: Chapter) -> bool:
    """Whether the chapter needs the ``keras`` extra (all but :data:`NUMPY_CHAPTERS`)."""
    return chapter.source.stem not in NUMPY_CHAPTERS


def install_cell(chapter: Chapter, install_from: str, repository: str) -> str:
    """The install cell of ``chapter``."""
    if validation.choice("notebook_install_from", install_from, INSTALL_FROM) == "git":
        requirement = f"{{package}} @ git+{repository.rstrip('/')}@v{__version__}"
    else:
        requirement = f"{{package}}=={__version__}"
    keras = needs_keras(chapter)
    return INSTALL_CELL.format(
        mark=MARK, version=__version__, requirement=requirement,
        modules='("dlbook", "keras", "keras_tuner", "scikeras")' if keras else '("dlbook",)',
        package=KERAS_PACKAGE if keras else '"dlbook"')


def with_install_cell(text: str, cell: str) -> str:
    """``text`` whose first code cell is ``cell``: replaced if there is one, added if not."""
    block = f"{CELL_OPENING}{cell}```\n"
    existing = re.search(rf"^{re.escape(CELL_OPENING)}{re.escape(MARK)}.*?^```\n", text,
                         flags=re.S | re.M)
    if existing:
        return text[:existing.start()] + block + text[existing.end():]
    first = re.search(r"^```\{code-cell\}", text, flags=re.M)
    if first is None:
        raise ValueError("a chapter needs at least one code cell to put the install cell before")
    return text[:first.start()] + block + "\n" + text[first.start():]


LITERALINCLUDE = re.compile(r"```\{literalinclude\} \.\./dlbook/(\w+)\.py\n((?::[^\n]*\n)*)```\n")


def listings(text: str) -> list[tuple[str, str, int]]:
    """``(module, pyobject, offset)`` for each ``literalinclude`` of dlbook code in ``text``."""
    found = []
    for match in LITERALINCLUDE.finditer(text):
        options = dict(re.findall(r"^:(\w+):\s*(.*)$", match.group(2), flags=re.M))
        if "pyobject" in options:
            found.append((match.group(1), options["pyobject"], match.start()))
    return found


def included_source(root: Path, module: str, pyobject: str) -> str:
    """The source of ``pyobject`` (``function``, ``Class`` or ``Class.method``) in dlbook/<module>.py."""
    path = root / "dlbook" / f"{module}.py"
    if not path.is_file():
        raise ValueError(f"{path} does not exist (a literalinclude names it)")
    lines = path.read_text().splitlines()
    body = ast.parse(path.read_text()).body
    node = None
    for name in pyobject.split("."):
        node = next((item for item in body if getattr(item, "name", None) == name), None)
        if node is None:
            raise ValueError(f"dlbook/{module}.py has no {pyobject} (a literalinclude names it)")
        body = getattr(node, "body", [])
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return textwrap.dedent("\n".join(lines[first - 1:node.end_lineno]))


def with_included_sources(text: str, root: Path) -> str:
    """``text`` with each ``literalinclude`` of a dlbook object replaced by its code.

    The book shows the package source with Sphinx's ``literalinclude``, which a
    notebook cannot run; the twin gets the same code as a Python block, taken
    from the source when the twin is written (so a stale twin fails its test).
    """
    def code(match: re.Match) -> str:
        options = dict(re.findall(r"^:(\w+):\s*(.*)$", match.group(2), flags=re.M))
        if "pyobject" not in options:
            return match.group(0)
        return f"```python\n{included_source(root, match.group(1), options['pyobject'])}\n```\n"

    return LITERALINCLUDE.sub(code, text)


def notebook_text(text: str, root: Path | None = None) -> str:
    """The ``.ipynb`` twin of a MyST chapter, as jupytext writes it (no outputs).

    Cell ids are numbered rather than random, so the same source gives the same file.
    With ``root``, the package code the chapter includes is written into the twin.
    """
    import jupytext

    notebook = jupytext.reads(with_included_sources(text, root) if root else text, fmt="md:myst")
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    return jupytext.writes(notebook, fmt="ipynb")


def sync(root: Path, install_from: str, repository: str, write: bool = True) -> list[Path]:
    """Bring every chapter's install cell and ``.ipynb`` twin up to date; the files that were
    out of date (with ``write=False``, only listed)."""
    stale = []
    for chapter in chapters(root):
        text = chapter.source.read_text()
        source = with_install_cell(text, install_cell(chapter, install_from, repository))
        notebook = notebook_text(source, root)
        for path, wanted in ((chapter.source, source), (chapter.notebook, notebook)):
            if not path.exists() or path.read_text() != wanted:
                stale.append(path)
                if write:
                    path.write_text(wanted)
    return stale


def book_settings(root: Path) -> tuple[str, str]:
    """``(notebook_install_from, repository url)`` from the book's ``_config.yml``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    if "notebook_install_from" not in config:
        raise ValueError(f"{root / '_config.yml'} has no notebook_install_from (git or index)")
    return config["notebook_install_from"], config["repository"]["url"]


def main(argv: list[str] | None = None) -> int:
    """``python -m dlbook.notebooks [--check] [ROOT]``: sync, or (``--check``) list what is stale."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dlbook.notebooks", description=main.__doc__)
    parser.add_argument("root", nargs="?", type=Path, default=distribution.CLONE)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = sync(args.root, *book_settings(args.root), write=not args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path.relative_to(args.root)}")
    return int(args.check and bool(stale))


if __name__ == "__main__":
    raise SystemExit(main())
