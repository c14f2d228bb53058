"""book/_ext/dlbook_execute.py: chapters run in parallel before Sphinx, each again only when its
code cells, a dlbook module it imported, or the environment changed.

The end-to-end test runs the script on a small book of two chapters in a temporary copy of
the project's layout: its kernels import the installed dlbook, its digests read the copy's
dlbook/, so editing a module of the copy is a change that only the chapters importing it see.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import dlbook_execute as ex  # noqa: E402

FRONT = ("---\nkernelspec:\n  name: python3\n  display_name: Python 3\nfile_format: mystnb\n---\n\n"
         "# {title}\n\nSome prose.\n\n```{{code-cell}} ipython3\n{code}\n```\n")
CHAPTERS = {"01_one": "from dlbook import activations\nprint(activations.relu(-1.0))",
            "02_two": "from dlbook import losses\nprint('two')"}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "book" / "_ext").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "_ext" / "dlbook_execute.py", tmp_path / "book" / "_ext")
    for name in ("requirements.txt", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path)
    shutil.copytree(ROOT / "dlbook", tmp_path / "dlbook", ignore=shutil.ignore_patterns("__pycache__"))
    for name, code in CHAPTERS.items():
        (tmp_path / "book" / f"{name}.md").write_text(FRONT.format(title=name, code=code))
    return tmp_path


def execute(project, *args, **env):
    result = subprocess.run([sys.executable, "book/_ext/dlbook_execute.py", *args], cwd=project,
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, **env})
    report = project / "_build" / ".dlbook-execution.json"
    return result, json.loads(report.read_text()) if report.exists() else {}


def ran(report):
    return {name: row["why"] for name, row in report.items() if row["ran"]}


@pytest.mark.slow
def test_a_chapter_runs_again_only_when_what_it_ran_changed(project):
    result, report = execute(project, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert ran(report) == {"01_one": "never run", "02_two": "never run"}
    recorded = json.loads((project / "_build" / ".dlbook-dependencies.json").read_text())
    assert "dlbook.activations" in recorded["01_one"]["modules"]
    assert "dlbook.losses" in recorded["02_two"]["modules"]
    assert "dlbook.losses" not in recorded["01_one"]["modules"]

    result, report = execute(project)
    assert ran(report) == {} and "all cached" in result.stdout

    chapter = project / "book" / "01_one.md"  # prose runs nothing
    chapter.write_text(chapter.read_text().replace("Some prose.", "Other prose."))
    assert ran(execute(project)[1]) == {}

    with (project / "dlbook" / "losses.py").open("a") as f:  # a module one chapter imported
        f.write("\n# changed\n")
    assert ran(execute(project)[1]) == {"02_two": "dlbook/losses.py changed"}

    chapter.write_text(chapter.read_text().replace("relu(-1.0)", "relu(2.0)"))  # code cells
    assert ran(execute(project)[1]) == {"01_one": "its code cells changed"}

    assert ran(execute(project, DLBOOK_PROFILE="full")[1]) == {
        "01_one": "DLBOOK_PROFILE changed", "02_two": "DLBOOK_PROFILE changed"}


@pytest.mark.slow
def test_a_failing_chapter_fails_the_step_and_names_the_error(project):
    (project / "book" / "02_two.md").write_text(FRONT.format(title="two", code="1 / 0"))
    result, report = execute(project, "--jobs", "1")
    assert result.returncode == 1
    assert "02_two failed" in result.stderr and "ZeroDivisionError" in result.stderr
    recorded = json.loads((project / "_build" / ".dlbook-dependencies.json").read_text())
    assert report["02_two"]["ran"] and "02_two" not in recorded  # it runs again next time


def test_the_reason_to_run_names_what_changed(monkeypatch, tmp_path):
    monkeypatch.setattr(ex, "ROOT", tmp_path)
    (tmp_path / "dlbook").mkdir()
    (tmp_path / "dlbook" / "lstm.py").write_text("x = 1\n")
    env = {"requirements.txt": "abc", "DLBOOK_PROFILE": "quick"}
    recorded = {"environment": env, "modules": ex.digests(["dlbook.lstm"])}
    assert ex.why_run(recorded, True, env) is None
    assert ex.why_run(None, False, env) == "never run"
    assert ex.why_run(recorded, False, env) == "its code cells changed"
    assert ex.why_run(None, True, env) == "no record of the modules it imported"
    assert ex.why_run(recorded, True, {**env, "DLBOOK_PROFILE": "full"}) == "DLBOOK_PROFILE changed"
    (tmp_path / "dlbook" / "lstm.py").write_text("x = 2\n")
    assert ex.why_run(recorded, True, env) == "dlbook/lstm.py changed"
    (tmp_path / "dlbook" / "lstm.py").unlink()
    assert ex.why_run(recorded, True, env) == "dlbook/lstm.py changed"
    names = ["a", "b", "c", "d", "e"]
    recorded["modules"] = {f"dlbook.{name}": "old digest" for name in names}
    assert ex.why_run(recorded, True, env) == "dlbook/a.py, dlbook/b.py, dlbook/c.py and 2 more changed"


def test_a_package_module_is_its_init(monkeypatch, tmp_path):
    monkeypatch.setattr(ex, "ROOT", tmp_path)
    (tmp_path / "dlbook" / "grading").mkdir(parents=True)
    assert ex.module_file("dlbook.grading") == tmp_path / "dlbook" / "grading" / "__init__.py"
    assert ex.module_file("dlbook.lstm") == tmp_path / "dlbook" / "lstm.py"


def test_jobs_must_be_positive():
    result = subprocess.run([sys.executable, str(ROOT / "book" / "_ext" / "dlbook_execute.py"),
                             "--jobs", "0"], capture_output=True, text=True)
    assert result.returncode == 2 and "--jobs must be at least 1, got 0" in result.stderr
