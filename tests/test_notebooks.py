"""The chapters' notebook twins and install cells (dlbook/notebooks.py)."""

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dlbook
from dlbook import backprop, notebooks

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = notebooks.chapters(ROOT)


def test_every_chapter_of_the_toc_is_a_notebook_chapter():
    toc = (ROOT / "_toc.yml").read_text()
    assert len(CHAPTERS) == 16
    assert all(f"file: book/{c.source.stem}" in toc for c in CHAPTERS)


def test_every_twin_and_install_cell_is_up_to_date():
    stale = notebooks.sync(ROOT, *notebooks.book_settings(ROOT), write=False)
    assert stale == [], "run: .venv/bin/python -m dlbook.notebooks (python3 dev.py book does)"


def copy_book(tmp_path):
    for name in ("_config.yml", "book", "dlbook"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)


def test_an_edited_chapter_makes_its_twin_stale(tmp_path):
    copy_book(tmp_path)
    chapter = tmp_path / "book" / "03_backpropagation.md"
    chapter.write_text(chapter.read_text().replace("# Backpropagation", "# Backprop, edited"))
    settings = notebooks.book_settings(tmp_path)
    assert notebooks.sync(tmp_path, *settings, write=False) == [chapter.with_suffix(".ipynb")]
    notebooks.sync(tmp_path, *settings)
    twin = json.loads(chapter.with_suffix(".ipynb").read_text())
    assert "".join(twin["cells"][0]["source"]).startswith("# Backprop, edited")
    assert notebooks.sync(tmp_path, *settings, write=False) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.source.stem)
def test_every_code_cell_of_the_source_is_a_code_cell_to_jupytext(chapter):
    """myst-nb runs what jupytext reads: a fence it misreads would swallow code cells."""
    import jupytext

    text = chapter.source.read_text()
    cells = jupytext.reads(text, fmt="md:myst").cells
    assert sum(c.cell_type == "code" for c in cells) == text.count("```{code-cell}")


def test_the_twin_holds_the_package_code_the_chapter_includes():
    twin = json.loads((ROOT / "book" / "03_backpropagation.ipynb").read_text())
    text = "".join("".join(cell["source"]) for cell in twin["cells"] if cell["cell_type"] == "markdown")
    assert "{literalinclude}" not in text
    source = inspect.getsource(backprop.output_delta)
    assert f"```python\n{source}```" in text


def test_a_changed_package_function_makes_the_twins_that_show_it_stale(tmp_path):
    copy_book(tmp_path)
    module = tmp_path / "dlbook" / "backprop.py"
    module.write_text(module.read_text().replace("    return (y_hat - y) / y.size",
                                                 "    return (y_hat - y) / y.size  # edited"))
    stale = notebooks.sync(tmp_path, *notebooks.book_settings(tmp_path), write=False)
    assert tmp_path / "book" / "03_backpropagation.ipynb" in stale
    assert tmp_path / "book" / "14_lstm.ipynb" not in stale


def test_an_include_of_a_missing_function_is_named():
    with pytest.raises(ValueError, match="dlbook/backprop.py has no no_such_function"):
        notebooks.with_included_sources(
            "```{literalinclude} ../dlbook/backprop.py\n:pyobject: no_such_function\n```\n", ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.source.stem)
def test_the_first_code_cell_of_each_twin_installs_dlbook_at_the_books_version(chapter):
    cells = json.loads(chapter.notebook.read_text())["cells"]
    first_code = next(c for c in cells if c["cell_type"] == "code")
    code = "".join(first_code["source"])
    assert code.startswith(notebooks.MARK)
    assert f"dlbook {dlbook.__version__}" in code and f"@v{dlbook.__version__}" in code
    assert "remove-cell" in first_code["metadata"]["tags"]
    keras = notebooks.needs_keras(chapter)
    assert ("dlbook[keras]" in code) == keras and ("keras_tuner" in code) == keras
    assert ('"scikeras"' in code) == keras  # chapter 4's cross-validation
    assert "{glue:text}`chapter_runtime`" in "".join(cells[0]["source"])


def test_the_numpy_chapters_use_no_keras_themselves():
    """Their notebooks install dlbook without Keras (tests/test_notebook_e2e.py runs one so)."""
    numpy_chapters = [c for c in CHAPTERS if not notebooks.needs_keras(c)]
    assert [c.source.stem for c in numpy_chapters] == list(notebooks.NUMPY_CHAPTERS)
    for chapter in numpy_chapters:
        assert "keras" not in chapter.source.read_text().split("```{code-cell}", 1)[1].lower()


def test_install_from_the_index_pins_the_version_and_bad_settings_are_named():
    cell = notebooks.install_cell(CHAPTERS[4], "index", "https://github.com/dlbook/dlbook")
    assert f'"{{package}}=={dlbook.__version__}"' in cell
    with pytest.raises(ValueError, match="notebook_install_from must be one of"):
        notebooks.install_cell("", "conda", "https://github.com/dlbook/dlbook")


def test_a_chapter_without_code_cannot_take_an_install_cell():
    with pytest.raises(ValueError, match="at least one code cell"):
        notebooks.with_install_cell("# Prose only\n", "pass\n")


def test_the_install_cell_is_replaced_not_repeated():
    text = "# T\n\n```{code-cell} ipython3\nx = 1\n```\n"
    once = notebooks.with_install_cell(text, f"{notebooks.MARK}: old\n")
    twice = notebooks.with_install_cell(once, f"{notebooks.MARK}: new\n")
    assert twice.count(notebooks.MARK) == 1 and "new" in twice and twice.endswith("x = 1\n```\n")


def test_where_dlbook_is_installed_the_install_cell_does_nothing(tmp_path):
    """As in the book's build: no output, nothing on stderr, pip never called."""
    cell = notebooks.install_cell(CHAPTERS[4], "git", "https://github.com/dlbook/dlbook")
    env = dict(os.environ, DLBOOK_REQUIREMENT="{package} @ file:///nonexistent.whl")
    result = subprocess.run([sys.executable, "-c", cell], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_running_time_reads_in_whole_minutes():
    from dlbook.config import running_time

    assert [running_time(s) for s in (0, 59.9, 60, 61, 600)] == [
        "under a minute", "under a minute", "1 minute", "2 minutes", "10 minutes"]
    with pytest.raises(ValueError, match="seconds must be a non-negative number"):
        running_time(float("nan"))


def test_the_command_checks_and_syncs(tmp_path, capsys):
    copy_book(tmp_path)
    assert notebooks.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "book" / "01_neurons_and_networks.ipynb").unlink()
    assert notebooks.main(["--check", str(tmp_path)]) == 1
    assert "out of date: book/01_neurons_and_networks.ipynb" in capsys.readouterr().out
    assert notebooks.main([str(tmp_path)]) == 0
    assert notebooks.main(["--check", str(tmp_path)]) == 0


def test_a_config_without_the_install_setting_is_named(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/dlbook/dlbook\n")
    with pytest.raises(ValueError, match="has no notebook_install_from"):
        notebooks.book_settings(tmp_path)
