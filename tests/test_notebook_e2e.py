"""A chapter notebook run the way Colab runs it: in an environment where dlbook is not installed.

The notebook twin (``book/NN_<name>.ipynb``) is executed with nbclient on a
kernel of a fresh virtual environment that has only ipykernel; its first cell
must install dlbook (here from the wheel the tests build, through
``DLBOOK_REQUIREMENT``) and the chapter must then run to its end. Slow: pip
installs dlbook's dependencies from the package registry.
"""

from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from tests.fresh_env import execute_notebook, fresh_venv, pip_install, run

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

CHAPTERS = {  # one chapter on dlbook's core (NumPy), one that needs Keras
    "02_gradient_descent": False,
    "01_neurons_and_networks": True,
}


def _kernel_env(tmp_path: Path) -> Path:
    """A fresh environment with ipykernel and nothing of dlbook; its bin folder."""
    bin_dir = fresh_venv(tmp_path / "venv")
    pip_install(bin_dir, "ipykernel", cwd=tmp_path)
    return bin_dir


def _has(bin_dir: Path, module: str, cwd: Path) -> bool:
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return run([bin_dir / "python", "-c", probe], cwd, timeout=60, check=False).returncode == 0


@pytest.mark.parametrize("chapter, keras", CHAPTERS.items())
def test_the_notebook_installs_dlbook_in_its_first_cell_and_runs_to_the_end(
        chapter, keras, distributions, tmp_path):
    bin_dir = _kernel_env(tmp_path)
    assert not _has(bin_dir, "dlbook", tmp_path)
    requirement = f"{{package}} @ {distributions[1].as_uri()}"
    nb = execute_notebook(ROOT / "book" / f"{chapter}.ipynb", bin_dir, tmp_path,
                          DLBOOK_REQUIREMENT=requirement, DLBOOK_PROFILE="quick")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    installing = "".join(o.get("text", "") for o in code[0].outputs)
    assert installing.startswith("Installing dlbook")
    assert _has(bin_dir, "dlbook", tmp_path) and _has(bin_dir, "keras", tmp_path) == keras


def test_without_network_the_notebook_stops_at_its_first_cell_saying_what_to_install(tmp_path):
    bin_dir = _kernel_env(tmp_path)
    dead = "http://127.0.0.1:9"  # nothing listens there: every download fails at once
    with pytest.raises(CellExecutionError) as failure:
        execute_notebook(ROOT / "book" / "02_gradient_descent.ipynb", bin_dir, tmp_path, timeout=300,
                         HTTPS_PROXY=dead, HTTP_PROXY=dead, https_proxy=dead, http_proxy=dead,
                         PIP_NO_INDEX="1", PIP_FIND_LINKS="")
    assert failure.value.ename == "SystemExit"
    assert "could not be installed (no network?)" in failure.value.evalue
    assert 'pip install "dlbook @ git+https://github.com/dlbook/dlbook@v' in failure.value.evalue
    assert not _has(bin_dir, "dlbook", tmp_path)
