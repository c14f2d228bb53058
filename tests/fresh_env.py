"""dlbook as a new user meets it: built into a wheel, installed in a fresh virtual environment.

Shared by the packaging and notebook tests and by ``benchmarks/package_figures.py``.
Nothing here uses the repository's ``.venv`` except to build and to drive a
kernel: every command runs with the fresh environment's own interpreter, from
a folder outside the repository, so ``import dlbook`` can only find the
installed wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_distributions(out: Path) -> tuple[Path, Path]:
    """Build the sdist and wheel from the files a clone has (git's tracked and new, not ignored)
    copied to ``out/src``, so no leftover of an earlier build can slip in; ``(sdist, wheel)``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    source = out / "src"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out / "dist"), str(source)],
        cwd=out)
    return next((out / "dist").glob("*.tar.gz")), next((out / "dist").glob("*.whl"))


def fresh_venv(path: Path) -> Path:
    """A new virtual environment with pip only; its ``bin`` folder."""
    venv.create(path, with_pip=True, clear=True)
    return path / "bin"


def environment(**extra: str) -> dict:
    """The test's environment without anything that would point Python at the repository."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COV_CORE_SOURCE", "COV_CORE_CONFIG",
                        "COV_CORE_DATAFILE", "PYTHONSTARTUP")}
    return env | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"} | extra


def run(argv: list, cwd: Path, timeout: float = 900, check: bool = True,
        **extra_env: str) -> subprocess.CompletedProcess:
    """Run ``argv`` in ``cwd``; raise with its output if it fails (unless ``check`` is false)."""
    result = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=environment(**extra_env))
    if check and result.returncode:
        raise AssertionError(f"{' '.join(map(str, argv))} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def pip_install(bin_dir: Path, *requirements: str, cwd: Path) -> None:
    run([bin_dir / "python", "-m", "pip", "install", "-q", *requirements], cwd=cwd)


def kernel_spec(bin_dir: Path, jupyter_path: Path) -> str:
    """Register the fresh environment's Python (which needs ipykernel) as a kernel under
    ``jupyter_path``; its name. Point ``JUPYTER_PATH`` there to use it."""
    name = "fresh-" + bin_dir.parent.name
    spec = jupyter_path / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(bin_dir / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": name, "language": "python"}))
    return name


def execute_notebook(notebook: Path, bin_dir: Path, workdir: Path, timeout: float = 900, **env: str):
    """Execute ``notebook`` top to bottom with nbclient on the fresh environment's kernel, in
    ``workdir``; the executed notebook. Raises nbclient's CellExecutionError on a failing cell."""
    import nbformat
    from nbclient import NotebookClient

    jupyter_path = workdir / ".jupyter-path"
    name = kernel_spec(bin_dir, jupyter_path)
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter_path)
    try:
        nb = nbformat.read(notebook, as_version=4)
        client = NotebookClient(nb, kernel_name=name, timeout=timeout,
                                resources={"metadata": {"path": str(workdir)}})
        client.execute(env=environment(MPLBACKEND="Agg", **env))
        return nb
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = previous
