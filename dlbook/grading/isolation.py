"""How a worker is isolated: a bubblewrap sandbox where one can start, plain processes where not.

The supervisor (:mod:`dlbook.grading.supervisor`) asks the isolation chosen
here for the command line that starts each worker.

:class:`Bubblewrap` (the full isolation) starts each worker with ``bwrap``
(bubblewrap, the sandbox Flatpak is built on):

- new PID, network, IPC, UTS and mount namespaces: the worker sees only its
  own processes, has no network but a loopback that is down, and when it ends
  the kernel ends everything in its PID namespace;
- a file system built from nothing: the system libraries, the interpreter's
  standard library and the distributions the exercise needs (NumPy, or Keras
  and its backend, with their dependencies) read-only, the student runtime
  (:mod:`dlbook.grading.runtime`) and the submission's own ``.py`` files
  read-only, and a small writable ``/tmp``. The grader's code, the reference
  implementations, ``solutions/``, every ``site-packages`` and the grader's
  files are not there. No environment variable of the grader's is passed on;
- no capabilities (an empty bounding set), ``no_new_privs``, and a seccomp
  filter (:mod:`dlbook.grading.seccomp`) that refuses new processes and
  namespaces, so the exercise is one process and its limits are the
  exercise's limits; when the grader runs as root, the worker runs as the
  unprivileged user :data:`SANDBOX_UID` (set by ``setpriv`` from util-linux).

:class:`Processes` (weak, the fallback on machines without user namespaces)
starts the same worker as a plain child process in its own session, held to
the same resource limits; the submission then shares the grader's user and
file system, so it can reach the reference implementations and disturb the
grader. ``dlbook grade`` says which one it used.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dlbook import validation
from dlbook.grading import seccomp
from dlbook.grading.runtime import worker
from dlbook.grading.runtime.protocol import Kind

RUNTIME_DIR = Path(worker.RUNTIME_DIR)
PACKAGE_DIR = RUNTIME_DIR.parents[1]  # dlbook/
SANDBOX_UID = 65534  # "nobody": the worker's user when the grader runs as root
SANDBOX_RUNTIME = "/runtime"
SANDBOX_SITE = "/runtime/site"
SANDBOX_SUBMISSION = "/submission"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")
# the distributions each kind of exercise may import; their dependencies come along
ROOTS = {"numpy": ("numpy",), "keras": ("numpy", "keras")}
BACKENDS = ("tensorflow", "jax", "torch")
MIN_BWRAP = (0, 7)  # --size for the scratch tmpfs
PASSED_ON = ("KERAS_BACKEND", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def version_tuple(text: str) -> tuple[int, ...]:
    """``(0, 8, 0)`` from ``"bubblewrap 0.8.0"``; ``()`` if there is no version in ``text``."""
    match = re.search(r"(\d+(?:\.\d+)+)", text)
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()


class IsolationError(RuntimeError):
    """The requested isolation cannot be had on this machine (the message says why)."""


def worker_environment(kind: Kind) -> dict:
    """The environment a worker starts with: nothing of the grader's but what the libraries need."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
           "PYTHONDONTWRITEBYTECODE": "1", "MALLOC_ARENA_MAX": "2", "TF_CPP_MIN_LOG_LEVEL": "3",
           "TF_ENABLE_ONEDNN_OPTS": "0"}
    env.update({name: os.environ[name] for name in PASSED_ON if name in os.environ})
    if kind == "numpy":
        env.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"),
                                 "1"))
    return env


def bootstrap(*paths: str) -> str:
    """The ``python -c`` program that puts ``paths`` first on ``sys.path`` and runs the runtime."""
    return (f"import sys; sys.path[:0] = {list(paths)!r}; "
            "from dlbook_runtime.boot import main; main()")


# ---------------------------------------------------------------------------
# What the sandbox may see


def _requirement_name(requirement: str) -> str | None:
    """The distribution a requirement names, or None if it applies only to an extra."""
    name, _, marker = requirement.partition(";")
    if "extra" in marker:
        return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", name)
    return match.group(1) if match else None


def _installed(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def backend_distributions() -> list[str]:
    """The distributions that provide the Keras backend in use (``KERAS_BACKEND``)."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend not in BACKENDS:
        raise IsolationError(f"KERAS_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")
    return metadata.packages_distributions().get(backend, [])


def dependency_closure(roots) -> list[metadata.Distribution]:
    """The installed distributions named in ``roots`` and everything they require, never dlbook.

    Requirements that apply only to extras are left out; those that do not
    apply here are simply not installed.
    """
    wanted, seen = list(roots), {}
    while wanted:
        name = wanted.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        dist = None if key in seen or key == "dlbook" else _installed(name)
        if dist is None:
            continue
        seen[key] = dist
        wanted += [n for n in map(_requirement_name, dist.requires or []) if n]
    return list(seen.values())


def distributions(kind: Kind) -> list[metadata.Distribution]:
    """The installed distributions an exercise of ``kind`` may import, dependencies included."""
    return dependency_closure([*ROOTS[kind], *(backend_distributions() if kind == "keras" else [])])


def top_level_paths(dist: metadata.Distribution) -> set[Path]:
    """The files and folders a distribution installed directly in its ``site-packages``."""
    base = Path(dist.locate_file("")).resolve()
    names = {Path(str(file)).parts[0] for file in dist.files or []}
    return {base / name for name in names
            if name not in ("..", "__pycache__") and (base / name).exists()}


@functools.cache
def library_binds(kind: Kind) -> tuple[tuple[str, str], ...]:
    """``(host path, sandbox path)`` of every library an exercise of ``kind`` may import."""
    paths = {path for dist in distributions(kind) for path in top_level_paths(dist)}
    return tuple(sorted((str(path), f"{SANDBOX_SITE}/{path.name}") for path in paths))


def interpreter() -> Path:
    """The real Python executable behind this one (a virtual environment's base interpreter)."""
    base = Path(getattr(sys, "_base_executable", None) or sys.executable).resolve()
    if not base.is_relative_to(Path(sys.base_prefix).resolve()) and not base.is_relative_to("/usr"):
        raise IsolationError(f"the interpreter {base} lies outside its prefix {sys.base_prefix}")
    return base


def hidden_paths() -> list[str]:
    """Folders that must stay invisible even where a read-only tree around them is mounted."""
    candidates = set(site.getsitepackages()) | {site.getusersitepackages()}
    for prefix in {sys.prefix, sys.base_prefix, "/usr", "/usr/local"}:
        scheme = {"base": prefix, "platbase": prefix}
        candidates |= {sysconfig.get_paths(vars=scheme)[key] for key in ("purelib", "platlib")}
        candidates |= {str(p) for p in Path(prefix).glob("lib/python3*/*-packages")}
        candidates |= {str(p) for p in Path(prefix).glob("lib/python3/dist-packages")}
    candidates |= {str(PACKAGE_DIR), str(PACKAGE_DIR.parent / "solutions")}
    return sorted(str(Path(path).resolve()) for path in candidates if os.path.isdir(path))


# ---------------------------------------------------------------------------
# The two kinds of isolation


@dataclass
class Launch:
    """A worker's command line, the descriptors it inherits, its environment, and (in a sandbox)
    the read end of bubblewrap's JSON status."""

    argv: list[str]
    pass_fds: tuple[int, ...]
    env: dict
    status_fd: int | None = None


class Processes:
    """Weak isolation: the worker is a child process in its own session, held to rlimits only."""

    name = "processes"
    full = False
    description = ("separate processes only (WEAK: no sandbox; the submission runs as the "
                   "grader's user and can reach its files and processes)")

    def __init__(self, root: str):
        self.runtime_parent = Path(root) / "runtime"
        self.runtime_parent.mkdir(exist_ok=True)
        link = self.runtime_parent / "dlbook_runtime"
        if not link.exists():
            link.symlink_to(RUNTIME_DIR, target_is_directory=True)

    def launch(self, kind: Kind, env: dict, fds: tuple[int, ...], scratch_mb: int,
               submission: list[str]) -> Launch:
        program = bootstrap(str(self.runtime_parent))
        return Launch([sys.executable, "-I", "-c", program], fds, {**worker_environment(kind), **env})


class Bubblewrap:
    """Full isolation: each worker in its own bubblewrap sandbox (see the module's docstring)."""

    name = "bubblewrap"
    full = True

    def __init__(self, root: str):
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise IsolationError("bubblewrap is not installed (Debian/Ubuntu: apt-get install "
                                 "bubblewrap)")
        self.as_root = os.geteuid() == 0
        self.setpriv = shutil.which("setpriv")
        if self.as_root and self.setpriv is None:
            raise IsolationError("setpriv (util-linux) is needed to run workers as an "
                                 "unprivileged user when grading as root")
        try:
            program = seccomp.filter_program()
        except seccomp.SeccompError as error:
            raise IsolationError(str(error)) from None
        self.seccomp_path = Path(root) / "seccomp.bpf"
        self.seccomp_path.write_bytes(program)
        self.version = subprocess.run([self.bwrap, "--version"], capture_output=True,
                                      text=True).stdout.strip()
        if version_tuple(self.version) < MIN_BWRAP:
            raise IsolationError(f"{self.version or 'bwrap'} is too old: the sandbox needs "
                                 f"bubblewrap {'.'.join(map(str, MIN_BWRAP))} or newer (a size "
                                 "limit on /tmp), as in Debian 12 or Ubuntu 24.04")
        user = f"uid {SANDBOX_UID}" if self.as_root else "the grader's uid in a user namespace"
        self.description = (f"{self.version} sandbox: own PID, network, IPC and mount "
                            f"namespaces; {user}; no capabilities; no_new_privs; seccomp (no new "
                            "processes); read-only interpreter and libraries; no view of the "
                            "grader, the reference implementations or its files")

    def launch(self, kind: Kind, env: dict, fds: tuple[int, ...], scratch_mb: int,
               submission: list[str]) -> Launch:
        seccomp_fd = os.open(self.seccomp_path, os.O_RDONLY | os.O_CLOEXEC)
        status_read, status_write = os.pipe()
        argv = [self.bwrap, "--json-status-fd", str(status_write), *self.namespace_args(),
                *self.filesystem_args(kind, submission),
                "--perms", "1777", "--size", str(scratch_mb * 1024 * 1024), "--tmpfs", "/tmp",
                "--remount-ro", "/", "--chdir", "/tmp", "--clearenv",
                *[arg for name, value in {**worker_environment(kind), **env, "HOME": "/tmp",
                                          "TMPDIR": "/tmp"}.items()
                  for arg in ("--setenv", name, value)],
                "--seccomp", str(seccomp_fd), "--", *self.user_args(),
                str(interpreter()), "-I", "-S", "-c", bootstrap(SANDBOX_RUNTIME, SANDBOX_SITE)]
        return Launch(argv, (*fds, seccomp_fd, status_write),
                      {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, status_read)

    def namespace_args(self) -> list[str]:
        shared = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                  "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
        if self.as_root:  # privileged bwrap: no user namespace; setpriv changes the user
            return shared + ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add",
                             "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        return shared + ["--unshare-user", "--cap-drop", "ALL"]

    def user_args(self) -> list[str]:
        if not self.as_root:
            return []
        ids = str(SANDBOX_UID)
        return [self.setpriv, f"--reuid={ids}", f"--regid={ids}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]

    def filesystem_args(self, kind: Kind, submission: list[str]) -> list[str]:
        args: list[str] = []
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in SYSTEM_FILES:
            args += ["--ro-bind-try", path, path]
        args += ["--proc", "/proc", "--dev", "/dev"]
        prefix = Path(sys.base_prefix).resolve()
        args += _directories(prefix.parent) + ["--ro-bind", str(prefix), str(prefix)]
        bound = [Path(p) for p in SYSTEM_DIRS if os.path.isdir(p)] + [prefix]
        for path in hidden_paths():
            if any(Path(path).is_relative_to(root) for root in bound):
                args += ["--perms", "0555", "--tmpfs", path]
        args += _directories(Path(SANDBOX_SITE)) + ["--ro-bind", str(RUNTIME_DIR),
                                                    f"{SANDBOX_RUNTIME}/dlbook_runtime"]
        for host, inside in library_binds(kind):
            args += ["--ro-bind", host, inside]
        args += _directories(Path(SANDBOX_SUBMISSION))
        for path in submission:
            args += ["--ro-bind", path, f"{SANDBOX_SUBMISSION}/{Path(path).name}"]
        return args


def _directories(path: Path) -> list[str]:
    """``--dir`` for ``path`` and its parents, world-readable (bubblewrap would make them 0700)."""
    args = []
    for folder in reversed([path, *path.parents][:-1]):
        args += ["--perms", "0755", "--dir", str(folder)]
    return args


MODES = ("auto", "bubblewrap", "processes")


def choose(mode: str, root: str):
    """The isolation for ``mode``: ``"bubblewrap"`` (or an :class:`IsolationError` saying why
    not), ``"processes"``, or ``"auto"``: bubblewrap if it works here, else processes."""
    validation.choice("isolation", mode, MODES)
    if mode == "processes":
        return Processes(root)
    try:
        isolation = Bubblewrap(root)
        probe(isolation)
        return isolation
    except IsolationError:
        if mode == "bubblewrap":
            raise
        return Processes(root)


def require_bubblewrap() -> None:
    """IsolationError saying why, unless a bubblewrap sandbox starts here."""
    with tempfile.TemporaryDirectory(prefix="dlbook-probe-") as root:
        probe(Bubblewrap(root))


_PROBED: dict[tuple, str | None] = {}


def probe(isolation: Bubblewrap) -> None:
    """Start one empty sandbox (once per process); :class:`IsolationError` with bubblewrap's words
    if it cannot."""
    key = (isolation.bwrap, isolation.as_root)
    if key not in _PROBED:
        _PROBED[key] = _start_empty_sandbox(isolation)
    if _PROBED[key]:
        raise IsolationError(f"a bubblewrap sandbox cannot start here: {_PROBED[key]}")


def _start_empty_sandbox(isolation: Bubblewrap) -> str | None:
    """None if a sandbox starts and runs Python; else why not."""
    launch = isolation.launch("numpy", {}, (), 1, [])
    argv = launch.argv[:-1] + ["print('ok')"]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                pass_fds=launch.pass_fds, env=launch.env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    finally:
        for fd in (*launch.pass_fds, launch.status_fd):
            os.close(fd)
    if result.returncode == 0 and result.stdout == "ok\n":
        return None
    return result.stderr.strip()[-500:] or f"exit code {result.returncode}"


def describe(isolation) -> dict:
    """What results.json records about the isolation used."""
    return {"isolation": isolation.name, "full": isolation.full,
            "description": isolation.description}

