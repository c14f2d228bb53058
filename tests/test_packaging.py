"""dlbook from its wheel, in a fresh virtual environment outside the repository.

What a student does with ``pip install dlbook``: get a chapter's stubs, grade
them, check one function in a notebook; and with ``pip install "dlbook[keras]"``,
build a Keras model. Slow (pip installs from the package registry).
"""

import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

import dlbook
from tests.fresh_env import fresh_venv, pip_install, run

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_the_wheel_holds_package_checks_and_stubs_but_no_solutions(distributions):
    _, wheel = distributions
    names = zipfile.ZipFile(wheel).namelist()
    stubs = sorted(p.name for p in (ROOT / "exercises").glob("ch*_*.py"))
    assert sorted(Path(n).name for n in names if n.startswith("dlbook/_shipped/exercises/")) == stubs
    assert "dlbook/_shipped/requirements.txt" in names
    assert {"dlbook/grading/checks/ch03.py", "dlbook/grading/runtime/worker.py",
            "dlbook/grading/registry.py", "dlbook/cli.py"} <= set(names)
    assert not [n for n in names if "solutions" in n or n.startswith(("tests/", "book/"))]
    assert wheel.name == f"dlbook-{dlbook.__version__}-py3-none-any.whl"


def test_the_sdist_holds_the_stubs_and_the_lock_but_no_solutions(distributions):
    sdist, _ = distributions
    names = tarfile.open(sdist).getnames()
    top = f"dlbook-{dlbook.__version__}"
    assert {f"{top}/exercises/ch03_backprop.py", f"{top}/requirements.txt", f"{top}/setup.py",
            f"{top}/pyproject.toml"} <= set(names)
    assert not [n for n in names if "/solutions" in n or "/tests/" in n]


@pytest.fixture(scope="module")
def core(distributions, tmp_path_factory):
    """A fresh environment with the wheel and its core dependencies only; ``(bin, workdir)``."""
    folder = tmp_path_factory.mktemp("core")
    bin_dir = fresh_venv(folder / "venv")
    pip_install(bin_dir, str(distributions[1]), cwd=folder)
    work = folder / "work"
    work.mkdir()
    return bin_dir, work


def test_the_core_install_has_no_keras_and_knows_its_version(core):
    bin_dir, work = core
    assert run([bin_dir / "dlbook", "--version"], work).stdout.strip() == f"dlbook {dlbook.__version__}"
    probe = "import importlib.util as u; print(u.find_spec('keras'), u.find_spec('dlbook').origin)"
    keras, origin = run([bin_dir / "python", "-c", probe], work).stdout.split()
    assert keras == "None" and origin.startswith(str(bin_dir.parent))
    run([bin_dir / "python", "-c", "from dlbook.grading import check"], work)


def test_the_doctor_of_the_core_install_passes_and_says_keras_is_missing(core):
    bin_dir, work = core
    result = run([bin_dir / "dlbook", "doctor", "--json"], work)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["dlbook"]["status"] == "OK" and checks["numpy"]["status"] == "OK"
    assert checks["keras"]["status"] == "WARN" and 'dlbook[keras]' in checks["keras"]["advice"]


def _score(bin_dir: Path, work: Path, submission: Path) -> tuple[float, float]:
    results = work / f"{submission.parent.name}.json"
    run([bin_dir / "dlbook", "grade", submission, "--json", results], work)
    tests = json.loads(results.read_text())["tests"]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def test_the_stub_written_by_dlbook_exercises_grades_to_zero(core):
    bin_dir, work = core
    run([bin_dir / "dlbook", "exercises", "ch03", "--to", work / "stub"], work)
    score, max_score = _score(bin_dir, work, work / "stub" / "ch03_backprop.py")
    assert score == 0 and max_score > 0


def test_the_reference_solution_grades_to_full_marks(core):
    bin_dir, work = core
    (work / "solution").mkdir()
    shutil.copy(ROOT / "solutions" / "ch03_backprop.py", work / "solution")
    score, max_score = _score(bin_dir, work, work / "solution" / "ch03_backprop.py")
    assert score == max_score > 0


def test_the_keras_extra_builds_a_keras_model(distributions, tmp_path):
    bin_dir = fresh_venv(tmp_path / "venv")
    pip_install(bin_dir, f"dlbook[keras] @ {distributions[1].as_uri()}", cwd=tmp_path)
    probe = ("from dlbook.models import build_image_classifier; "
             "print(build_image_classifier().count_params())")
    assert run([bin_dir / "python", "-c", probe], tmp_path).stdout.split()[-1] == "266610"
