"""``dlbook gradescope build``: the zip, unpacked and run as Gradescope runs it, forging included.

Gradescope runs ``setup.sh`` (apt-get and pip: not run here) and then
``run_autograder`` per submission, as root, in one container. Here the zip's
wheel is installed into a simulated ``/autograder`` (``--target``, with this
environment's libraries standing in for ``setup.sh``'s) and ``run_autograder``
runs against a submission folder and a results folder, as it would there.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from corpus import ROOT, SUBMISSIONS, digest, hand_in

from dlbook import cli

pytestmark = pytest.mark.slow
CH03_MAX = 24  # chapter 3's exercises: six, of four calls each


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """A simulated /autograder with the zip unpacked in source/ and its wheel installed."""
    root = tmp_path_factory.mktemp("autograder")
    zip_path = root / "autograder.zip"
    assert cli.main(["gradescope", "build", "--out", str(zip_path)]) == 0
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    (wheel,) = (root / "source").glob("dlbook-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(root / "lib"), str(wheel)], check=True)
    dlbook = root / "venv" / "bin" / "dlbook"
    dlbook.parent.mkdir(parents=True)
    dlbook.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.path.insert(0, "
                      f"\"{root / 'lib'}\"); from dlbook.cli import main; sys.exit(main())' "
                      '"$@"\n')
    dlbook.chmod(0o755)
    return root, modes


def run_autograder(root: Path, submission: Path) -> dict:
    """Put ``submission`` (a file or folder) in submission/, run run_autograder, read results."""
    for name in ("submission", "results"):
        shutil.rmtree(root / name, ignore_errors=True)
        (root / name).mkdir()
    if submission.is_dir():
        shutil.copytree(submission, root / "submission", dirs_exist_ok=True)
    else:
        shutil.copy(submission, root / "submission")
    env = {"PATH": os.environ["PATH"], "AUTOGRADER": str(root)}
    process = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_zip_holds_the_scripts_the_wheel_and_pinned_requirements(autograder):
    root, modes = autograder
    source = root / "source"
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(modes)
    assert stat.S_IMODE(modes["run_autograder"]) == stat.S_IMODE(modes["setup.sh"]) == 0o755
    setup = (source / "setup.sh").read_text()
    assert subprocess.run(["bash", "-n", str(source / "setup.sh")]).returncode == 0
    assert "bubblewrap" in setup and "libseccomp2" in setup
    (wheel,) = source.glob("dlbook-*.whl")
    assert f"--no-deps ./{wheel.name}" in setup and "-r requirements.txt" in setup
    pins = dict(line.split("==") for line in (source / "requirements.txt").read_text().splitlines()
                if "==" in line)
    assert pins["numpy"] == metadata.version("numpy") and pins["keras"] == metadata.version("keras")
    assert "dlbook" not in pins and "jupyter-book" not in pins
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "dlbook/grading/runtime/boot.py" in names
    assert not any(name.startswith("solutions/") for name in names)


def test_run_autograder_grades_a_submission_in_the_sandbox(autograder):
    root, _ = autograder
    results = run_autograder(root, ROOT / "solutions" / "ch03_backprop.py")
    assert results["score"] == results["max_score"] == CH03_MAX
    assert results["extra_data"]["isolation"]["isolation"] == "bubblewrap"
    assert {test["visibility"] for test in results["tests"]} == {"visible", "after_published"}


def test_a_submission_that_edits_the_installed_grader_changes_nothing(autograder, tmp_path):
    root, _ = autograder
    before = digest(root / "lib" / "dlbook")
    attack = hand_in(SUBMISSIONS / "attacks" / "ch01_edits_grader.py", tmp_path / "attack")
    results = run_autograder(root, attack.parent)  # the attack, and the solution it imports
    scores = {}
    for test in results["tests"]:
        if test["name"].startswith(f"{attack.name}: "):
            exercise = test["name"].split(": ")[1]
            scores[exercise] = scores.get(exercise, 0.0) + test["score"]
    assert scores["ch01.perceptron_predict"] == 0 and sum(scores.values()) == 31 - 4
    assert digest(root / "lib" / "dlbook") == before
    stub = run_autograder(root, ROOT / "exercises" / "ch01_neurons.py")
    assert stub["score"] == 0 and stub["max_score"] == 31


def test_a_submission_with_nothing_to_grade_still_gets_results_json(autograder, tmp_path):
    root, _ = autograder
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("I did not do it")
    results = run_autograder(root, tmp_path / "empty")
    assert results["score"] == 0 and "could not grade this submission" in results["output"]
    assert "holds no .py, .ipynb or .md files" in results["output"]


@pytest.mark.parametrize("argv, message", [
    (["gradescope", "build", "--out", "autograder.tar"], "--out must be a .zip file"),
    (["gradescope", "build", "--out", "a.zip", "--wheel", "README.md"],
     "--wheel must be a dlbook-*.whl file"),
])
def test_bad_build_arguments_are_named(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("not a wheel")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
