"""Gradescope: the autograder zip (``dlbook gradescope build``) and what runs in it (``... run``).

Gradescope builds an image from the zip by running ``setup.sh`` once as
root, then runs ``run_autograder`` for each submission; the student's files
are in ``/autograder/submission`` and the results go to
``/autograder/results/results.json``, all in one container. So the zip holds

- ``dlbook-<version>-py3-none-any.whl``: this dlbook, built from the clone;
- ``requirements.txt``: exact versions of what the grader imports (NumPy,
  rich, jupytext, scikit-learn, Keras and its backend, with their
  dependencies), taken from the environment the book is built and tested in;
- ``setup.sh``: installs bubblewrap, libseccomp and Python 3.11+, then
  dlbook and those requirements into ``/autograder/venv``;
- ``run_autograder``: ``dlbook gradescope run``.

:func:`run` grades in the bubblewrap sandbox (student code never sees the
grader, the results path or the other files of the container) and always
writes results.json, also when it cannot grade (no gradable file, no
sandbox), then with score 0 and the reason. Without the sandbox it refuses
to grade unless the zip was built with ``--allow-weak-isolation``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from dlbook.grading import isolation, results_file

ROOT = Path(__file__).resolve().parents[2]  # a clone: dlbook/, pyproject.toml
GRADER_NEEDS = ("numpy", "rich", "jupytext", "scikit-learn", "keras")

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends bubblewrap libseccomp2 util-linux ca-certificates
python=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    python=python3.11
fi
apt-get install -y --no-install-recommends "$python-venv"
"$python" -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir -r requirements.txt
/autograder/venv/bin/pip install --no-cache-dir --no-deps ./{wheel}
/autograder/venv/bin/dlbook --version
/autograder/venv/bin/python -c 'from dlbook.grading import isolation; isolation.require_bubblewrap()' \
    || echo "WARNING: the sandbox cannot start in this image; run_autograder will say so" >&2
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, as root. AUTOGRADER moves the layout (for tests).
AUTOGRADER="${{AUTOGRADER:-/autograder}}"
exec "${{DLBOOK:-$AUTOGRADER/venv/bin/dlbook}}" gradescope run --root "$AUTOGRADER"{options}
"""


def pinned_requirements() -> str:
    """``name==version`` of what the grader imports, with the Keras backend in use, one a line."""
    dists = isolation.dependency_closure([*GRADER_NEEDS, *isolation.backend_distributions()])
    lines = sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in dists)
    return "# What dlbook's grader imports, pinned as in the book's environment.\n" + "\n".join(
        lines) + "\n"


def build_wheel(folder: Path) -> Path:
    """Build dlbook's wheel from the clone into ``folder``; its path."""
    if not (ROOT / "pyproject.toml").is_file():
        raise RuntimeError(f"dlbook gradescope build needs a clone of dlbook (pyproject.toml "
                           f"beside {ROOT / 'dlbook'}), or --wheel FILE")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "--disable-pip-version-check", "-q", "-w", str(folder), str(ROOT)],
                            capture_output=True, text=True)
    wheels = sorted(folder.glob("dlbook-*.whl"))
    if result.returncode or not wheels:
        raise RuntimeError(f"building the dlbook wheel failed: {result.stderr.strip()[-1000:]}")
    return wheels[0]


def build(out: str | os.PathLike, wheel: str | os.PathLike | None = None,
          allow_weak_isolation: bool = False) -> Path:
    """Write the autograder zip to ``out``; its path."""
    out = Path(out)
    if out.suffix != ".zip":
        raise ValueError(f"--out must be a .zip file, got {str(out)!r}")
    results_file.check_writable(out, option="--out")
    with tempfile.TemporaryDirectory(prefix="dlbook-gradescope-") as folder:
        wheel = Path(wheel) if wheel else build_wheel(Path(folder))
        if not (wheel.is_file() and wheel.name.startswith("dlbook-") and wheel.suffix == ".whl"):
            raise ValueError(f"--wheel must be a dlbook-*.whl file, got {str(wheel)!r}")
        options = " --allow-weak-isolation" if allow_weak_isolation else ""
        files = {"setup.sh": SETUP.format(wheel=wheel.name),
                 "run_autograder": RUN.format(options=options),
                 "requirements.txt": pinned_requirements()}
        temporary = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFREG | 0o755) << 16
                archive.writestr(info, text)
            archive.write(wheel, wheel.name)
        os.replace(temporary, out)
    return out


def run(root: str | os.PathLike = "/autograder", allow_weak_isolation: bool = False) -> dict:
    """Grade ``root/submission`` into ``root/results/results.json``; the results written."""
    from dlbook.grading import runner

    root = Path(root)
    target = root / "results" / "results.json"
    results_file.check_writable(target)
    try:
        mode = "auto" if allow_weak_isolation else "bubblewrap"
        results = runner.grade_path(root / "submission", isolation=mode).gradescope()
    except (ValueError, RuntimeError) as error:  # nothing gradable, or no sandbox
        results = {"score": 0.0, "output": f"The autograder could not grade this submission: "
                                           f"{error}", "tests": []}
    results_file.write_json(target, results)
    return results

