"""Every NumPy function a chapter names in its prose is shown there from the package source.

The NumPy layer is what the book teaches line by line, so a chapter that names
one of its functions (`` `backprop.output_delta` ``) shows it with
``literalinclude`` and ``:pyobject:`` (the tested code itself, never a copy), or
names it as a link to the chapter that shows it. Data helpers are exempt: they
make examples, they are not the maths.
"""

import ast
import re
from pathlib import Path

import pytest

from dlbook import notebooks

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))
# Modules that are plumbing, not maths a chapter derives.
NOT_TAUGHT = {"__init__", "__main__", "cli", "config", "doctor", "notebooks", "plotting",
              "validation", "lazy", "backend", "data", "distribution", "training", "gradcheck"}
# NumPy functions that make data for an example: named in prose, not derived there.
DATA_HELPERS = {"convolution.random_translations", "recurrent.synthetic_split",
                "segmentation.make_shapes", "segmentation.load_shapes", "transfer.few_per_class",
                "autoencoders.add_gaussian_noise"}
INLINE_CODE = re.compile(r"(\[)?`([A-Za-z_][\w.]*)(?:\([^`]*\))?`(\]\(([^)#]*)[^)]*\))?")


def numpy_functions() -> dict[str, list[str]]:
    """Public top-level functions of the taught modules that do not touch Keras, by name."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "dlbook").glob("*.py")):
        if path.stem in NOT_TAUGHT:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                words = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                words |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                if "keras" not in words:
                    found.setdefault(node.name, []).append(path.stem)
    return found


FUNCTIONS = numpy_functions()


def prose(text: str) -> str:
    """The chapter without its code cells (what a reader reads as text)."""
    return re.sub(r"```\{code-cell\}.*?\n```", "", text, flags=re.S)


def module_aliases(text: str) -> dict[str, str]:
    """``{alias: module}`` for the chapter's ``from dlbook import x as y`` and ``import dlbook.x as y``."""
    aliases = {}
    for names in re.findall(r"from dlbook import ([\w ,]+)", text):
        for item in names.split(","):
            module, _, alias = item.strip().partition(" as ")
            aliases[alias or module] = module
    aliases.update({alias: module for module, alias in
                    re.findall(r"import dlbook\.(\w+) as (\w+)", text)})
    return aliases


def mentions(chapter: Path) -> list[tuple[str, str | None]]:
    """``(module.function, linked chapter or None)`` for each NumPy function named in the prose."""
    text = chapter.read_text()
    aliases = module_aliases(text)
    found = []
    for match in INLINE_CODE.finditer(prose(text)):
        *qualifier, name = match.group(2).split(".")
        if name not in FUNCTIONS:
            continue
        modules = FUNCTIONS[name]
        if qualifier:
            module = aliases.get(qualifier[-1], qualifier[-1])
            if module not in modules:
                continue  # a Keras function of the same name, or another object's method
        else:
            imported = [m for m in modules if m in aliases.values()]
            assert len(modules) == 1 or len(imported) == 1, (
                f"{chapter.name}: `{name}` is in {modules}; qualify it with its module")
            module = modules[0] if len(modules) == 1 else imported[0]
        linked = match.group(4) if match.group(1) and match.group(3) else None
        found.append((f"{module}.{name}", linked))
    return found


def shown(chapter: Path) -> set[str]:
    return {f"{module}.{name}" for module, name, _ in notebooks.listings(chapter.read_text())}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_numpy_function_named_in_the_prose_is_shown_or_linked(chapter):
    here = shown(chapter)
    problems = []
    for function, linked in mentions(chapter):
        if function in here or function in DATA_HELPERS:
            continue
        if linked is None:
            problems.append(f"`{function}` is named but neither shown (literalinclude "
                            f":pyobject:) nor a link to the chapter that shows it")
        elif function not in shown(ROOT / "book" / linked):
            problems.append(f"`{function}` links to {linked}, which does not show it")
    assert not problems, f"{chapter.name}:\n" + "\n".join(sorted(set(problems)))


def test_every_literalinclude_names_a_function_that_exists():
    """The build would fail on these too, but minutes later and with a vaguer message."""
    missing = []
    for chapter in CHAPTERS:
        for module, name, _ in notebooks.listings(chapter.read_text()):
            try:
                notebooks.included_source(ROOT, module, name)
            except ValueError as error:
                missing.append(f"{chapter.name}: {error}")
    assert not missing, "\n".join(missing)


def exercise_references() -> set[tuple[str, str, str]]:
    """``(chapter, module, function)`` for each graded exercise with a dlbook reference."""
    from dlbook.grading import registry

    found = set()
    for exercise in registry.exercises().values():
        module, _, function = getattr(exercise, "reference", "").partition(":")
        if module.startswith("dlbook.") and function:
            found.add((exercise.chapter, module.removeprefix("dlbook."), function))
    return found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_code_a_coding_exercise_asks_for_is_folded_away_until_the_reader_opens_it(chapter):
    text = chapter.read_text()
    asked = {(m, f) for c, m, f in exercise_references() if c == "ch" + chapter.name[:2]}
    open_listings = [f"{module}.{name}" for module, name, start in notebooks.listings(text)
                     if (module, name) in asked
                     and ":class: dropdown" not in text[max(0, start - 300):start]]
    assert not open_listings, (f"{chapter.name} shows the answer to a coding exercise unfolded: "
                               f"{open_listings}; put it in an admonition with :class: dropdown")


def test_chapters_show_source_with_literalinclude_not_getsource():
    offenders = [c.name for c in CHAPTERS if "getsource(" in c.read_text()]
    assert not offenders, f"show package code with literalinclude :pyobject: in {offenders}"


def test_the_scan_finds_names_links_and_shown_functions():
    """The rules above on a made-up chapter, so that a change to them cannot pass vacuously."""
    chapter = ROOT / "_build" / "test_chapter_code" / "99_example.md"
    chapter.parent.mkdir(parents=True, exist_ok=True)
    chapter.write_text(
        "from dlbook import backprop as bp\n"
        "The delta `bp.output_delta(y_hat, y)` and `backward` are derived here;\n"
        "[`forward`](03_backpropagation.md#x) is shown in chapter 3.\n"
        "```{literalinclude} ../dlbook/backprop.py\n:language: python\n:pyobject: backward\n```\n"
        "```{code-cell} ipython3\n`hidden_delta` in a code cell is not prose\n```\n")
    assert mentions(chapter) == [("backprop.output_delta", None), ("backprop.backward", None),
                                 ("backprop.forward", "03_backpropagation.md")]
    assert shown(chapter) == {"backprop.backward"}
    assert "activations.relu" not in shown(chapter)
    assert "def backward(self)" in notebooks.included_source(ROOT, "autodiff", "Tensor.backward")
    assert "keras_conv2d" not in FUNCTIONS and "output_delta" in FUNCTIONS
