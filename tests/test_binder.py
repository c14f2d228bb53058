"""The binder/ folder mybinder.org builds the chapters' notebooks with (repo2docker).

binder/requirements.txt is slim (dlbook's core and ``keras`` dependencies, plus
jupytext) and pinned to the lock, the root requirements.txt; binder/runtime.txt
names the Python; binder/postBuild installs dlbook itself without touching the pins.
"""

import os
import re
import shlex
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
# what mybinder.org builds on: markers such as sys_platform == 'darwin' are false there
BINDER_PLATFORM = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
# the book's build and test tools: a reader running a chapter needs none of them
DENIED = {"jupyter-book", "sphinx", "pytest", "pytest-cov", "ruff", "jax", "jaxlib", "coverage",
          "tensorflow", "check-jsonschema", "build", "myst-nb"}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """``{canonical name: (line, version)}`` of a file of ``name==version`` lines (a marker may follow)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(;.*)?", line)
        assert match, f"{path.name}: {line!r} is not an exact pin name==version"
        name = canonical(match[1])
        assert name not in found, f"{path.name}: {match[1]} is pinned twice"
        found[name] = (line, match[2])
    return found


def needed():
    """The canonical names of dlbook's core and ``keras`` dependencies on Binder's Linux."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for spec in project["dependencies"] + project["optional-dependencies"]["keras"]:
        requirement = Requirement(spec)
        if requirement.marker is None or requirement.marker.evaluate(BINDER_PLATFORM):
            names.add(canonical(requirement.name))
    return names


def expected_lines():
    lock = pins(ROOT / "requirements.txt")
    return "\n".join(f"{name}=={lock[name][1]}" for name in sorted(needed() | {"jupytext"}) if name in lock)


def test_the_core_and_keras_dependencies_are_what_binder_needs():
    # the parsing above: the darwin-only tensorflow is skipped, tensorflow-cpu kept
    names = needed()
    assert {"numpy", "keras", "keras-tuner", "tensorflow-cpu", "jupytext"} <= names
    assert "tensorflow" not in names and "dlbook" not in names


def test_every_binder_pin_is_the_locks_pin():
    lock = pins(ROOT / "requirements.txt")
    for name, (line, version) in pins(BINDER / "requirements.txt").items():
        assert name in lock, f"binder/requirements.txt pins {line}, which the lock does not have"
        assert version == lock[name][1], (
            f"binder/requirements.txt pins {line}, the lock {lock[name][0]}; expected:\n{expected_lines()}")


def test_every_runtime_dependency_and_jupytext_is_pinned_and_nothing_else():
    binder = set(pins(BINDER / "requirements.txt"))
    want = needed() | {"jupytext"}
    assert not want - binder, (f"missing from binder/requirements.txt: {sorted(want - binder)}; "
                               f"expected:\n{expected_lines()}")
    assert binder == want, f"not needed to run the chapters: {sorted(binder - want)}"


def test_no_build_or_test_tool_is_installed_on_binder():
    text = (BINDER / "requirements.txt").read_text()
    assert not DENIED & set(pins(BINDER / "requirements.txt"))
    assert not re.search(r"^\s*-(r|e|c)\b|^\s*\.", text, re.M), "no includes, editables or local paths"


def test_the_requirements_file_says_where_its_pins_come_from():
    header = [line for line in (BINDER / "requirements.txt").read_text().splitlines() if line.startswith("#")]
    assert header and "lock" in " ".join(header) and "test_binder.py" in " ".join(header)


def test_runtime_names_python_3_11_or_newer():
    # repo2docker reads the whole file, stripped, as python-X.Y: one line, no comment
    text = (BINDER / "runtime.txt").read_text()
    match = re.fullmatch(r"python-(\d+)\.(\d+)\n?", text)
    assert match, f"binder/runtime.txt must be python-X.Y alone, not {text!r}"
    assert (int(match[1]), int(match[2])) >= (3, 11)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"


def postbuild_commands():
    shebang, *lines = (BINDER / "postBuild").read_text().splitlines()
    return shebang, [words for words in (shlex.split(line, comments=True) for line in lines) if words]


def test_postbuild_is_an_executable_bash_script_that_stops_on_errors():
    path = BINDER / "postBuild"
    assert path.stat().st_mode & stat.S_IXUSR and os.access(path, os.X_OK)
    shebang, commands = postbuild_commands()
    assert shebang in ("#!/bin/bash", "#!/usr/bin/env bash")
    assert ["set", "-euo", "pipefail"] in commands or ["set", "-e"] in commands   # repo2docker does not
    git = shutil.which("git")
    if git:   # once committed, git must record the executable bit
        staged = subprocess.run([git, "ls-files", "--stage", "binder/postBuild"], cwd=ROOT,
                                capture_output=True, text=True).stdout
        assert not staged or staged.startswith("100755"), staged


def test_postbuild_installs_dlbook_from_the_repository_without_its_dependencies():
    _, commands = postbuild_commands()
    installs = [c for c in commands if c[:4] == ["python", "-m", "pip", "install"]]
    assert len(installs) == 1, commands
    (install,) = installs
    assert "--no-deps" in install and install[-1] == "."
    assert not {"-U", "--upgrade", "-r", "--requirement", "-e", "--editable"} & set(install)


def test_postbuild_runs_pip_from_the_repository_root_wherever_it_is_started(tmp_path):
    # a stand-in `python` records where it ran and with what; nothing is installed
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    record = tmp_path / "record"
    fake.write_text(f'#!/bin/bash\npwd > "{record}"\nprintf "%s\\n" "$@" >> "{record}"\n')
    fake.chmod(0o755)
    env = os.environ | {"PATH": f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(BINDER / "postBuild")], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    cwd, *args = record.read_text().splitlines()
    assert Path(cwd).resolve() == ROOT
    assert args[:3] == ["-m", "pip", "install"] and "--no-deps" in args and args[-1] == "."
