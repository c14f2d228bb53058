#!/usr/bin/env python3
"""Build the book or run the tests on a fresh machine.

    python3 dev.py book    # build the HTML book into _build/html
    python3 dev.py test    # pytest with coverage (and on JAX and PyTorch), then a clean build of the book
    python3 dev.py page book/03_backpropagation.md   # build one chapter alone

Either command first makes ``.venv`` and installs ``requirements.txt`` into it
if that has not been done (or the requirements changed). It needs only
Python 3.11 or newer, and Debian's Chromium (installed with apt-get when missing:
the build prints every page to PDF with it; the tests also need bubblewrap).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BUILD = ROOT / "_build"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
EXECUTE = ROOT / "book" / "_ext" / "dlbook_execute.py"  # runs the chapters before Sphinx
BUILT_FROM = BUILD / ".dlbook-html-sources"  # the digest of what the HTML was last built from


def digest(*files: Path) -> str:
    """SHA-256 over the names and contents of files."""
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the pinned requirements and dlbook, once."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit(f"dlbook needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / ".dlbook-requirements"
    wanted = digest(ROOT / "requirements.txt", ROOT / "pyproject.toml")
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing the pinned requirements (a few minutes, once) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    run(pip + ["-r", str(ROOT / "requirements.txt")])
    run(pip + ["--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    stamp.write_text(wanted)


def run(cmd: list[str], env: dict | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    if code:
        sys.exit(code)


def book_env() -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def build_book(clean: bool, env: dict) -> None:
    """Sync the chapters' notebooks, execute the chapters that changed (in parallel, each
    cached with what it imported: book/_ext/dlbook_execute.py), then jupyter-book with
    warnings as errors, and the table of each chapter's execution time.

    ``clean`` removes everything but the execution cache (Sphinx's environment, the HTML),
    so every page is read and written again; a chapter runs again only when its code cells,
    a dlbook module it imported, the pinned requirements, the profile, the Keras backend or
    the training path changed (the publishing workflow restores the cache between runs).
    """
    kept = (".jupyter_cache", ".dlbook-dependencies.json", ".dlbook-execution.json")
    for path in sorted(BUILD.iterdir()) if clean and BUILD.exists() else []:
        if path.name not in kept:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    # the chapters' install cells and their .ipynb twins (what Colab and Binder open)
    run([str(PYTHON), "-m", "dlbook.notebooks"], env=env)
    run([str(PYTHON), str(EXECUTE)], env=env)
    sources = html_sources(env)
    built = BUILT_FROM.exists() and (BUILD / "html" / "index.html").exists()
    if built and BUILT_FROM.read_text() == sources:
        print("Nothing the HTML is made from changed since the last build: Sphinx is skipped.")
    else:
        BUILT_FROM.unlink(missing_ok=True)  # a failed build leaves no stamp behind
        run([str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"], env=env)
        BUILT_FROM.write_text(sources)
    run([str(PYTHON), str(EXECUTE), "--report"], env=env)
    print(f"\nThe book is in {BUILD / 'html' / 'index.html'}")


def html_sources(env: dict) -> str:
    """The digest of what Sphinx makes the HTML from: the book's, the package's and the exercises'
    files, the configuration, the pinned lock, the build settings and the executed chapters."""
    folders = [ROOT / name for name in ("book", "dlbook", "exercises", "solutions")]
    files = sorted(path for folder in folders for path in folder.rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts)
    names = ("_config.yml", "_toc.yml", "requirements.txt", "_build/.dlbook-dependencies.json")
    settings = repr(sorted((k, v) for k, v in env.items() if k.startswith(("DLBOOK_", "KERAS_"))))
    return digest(*files, *(ROOT / name for name in names if (ROOT / name).exists())) + settings


def build_page(page: Path) -> None:
    """Build one chapter on its own (fast feedback while writing it).

    Jupyter Book resolves the bibliography, the local extensions and the favicon
    relative to the page in this mode, so the configuration is copied with their
    paths made absolute.
    Citations and links to other chapters cannot resolve in a one-page build,
    so their warnings are off here (the full build still checks them).
    """
    page = page.resolve()
    if not page.is_file():
        sys.exit(f"page must be an existing chapter file, got {page}")
    out = BUILD / "pages" / page.stem  # one folder per page: pages can build side by side
    out.mkdir(parents=True, exist_ok=True)
    book = ROOT / "book"
    quiet = '["bibtex", "ref.doc", "ref.ref", "ref.any", "myst.xref_missing"]'
    config = (ROOT / "_config.yml").read_text().replace(
        "  - book/references.bib", f"  - {book / 'references.bib'}"
    ).replace(": book/", f": {book}/").replace(  # the bibliography and the other chapters are
        "  config:\n", f"  config:\n    suppress_warnings: {quiet}\n")  # not in a one-page build
    (out / "_config.yml").write_text(config)
    run([str(BIN / "jupyter-book"), "build", str(page), "--config", str(out / "_config.yml"),
         "--path-output", str(out), "-W", "-n", "--keep-going"], env=book_env())


SYSTEM_PACKAGES = {  # command: (Debian package, what needs it)
    "chromium": ("chromium", "the browser that prints the book's PDFs and runs the site tests"),
    "bwrap": ("bubblewrap", "the sandbox student code runs in"),
}


def ensure_system_packages(*commands: str) -> None:
    """The system programs ``commands`` are installed, or installed now with apt-get where
    this user can."""
    missing = {SYSTEM_PACKAGES[c][0]: SYSTEM_PACKAGES[c][1] for c in commands if not shutil.which(c)}
    if not missing:
        return
    why = "; ".join(f"{package}: {reason}" for package, reason in missing.items())
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"missing {', '.join(missing)} ({why}): install them, e.g. "
                 f"sudo apt-get install {' '.join(missing)}")
    print(f"{', '.join(missing)} missing ({why}): installing with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", *missing, "libseccomp2"]):
        run(command, env=env)


#: The tests of the Keras layer, run again on JAX and on PyTorch (the unit tests run everything on
#: TensorFlow): every Keras builder, layer, callback and schedule, and dlbook.training.fit.
BACKEND_MATRIX = tuple(f"tests/test_{name}.py" for name in (
    "activations", "autoencoders", "backend", "callbacks", "cnn", "convolution", "gan", "initialization",
    "losses", "lstm", "metrics", "mixed_precision", "models", "multi_device", "normalization",
    "optimizers", "recurrent", "regularization", "resnet", "schedules", "segmentation", "training",
    "transfer", "tuning"))
OTHER_BACKENDS = ("jax", "torch")
def test() -> None:
    """Unit tests with coverage, on every core (pytest-xdist); the Keras layer's tests on JAX and
    PyTorch; a clean quick-profile book build (reusing valid executed chapters), then checks of
    the HTML, static and in Chromium."""
    ensure_system_packages("bwrap", "chromium")
    env = dict(book_env(), DLBOOK_PROFILE="quick")
    pytest = [str(PYTHON), "-m", "pytest"]
    coverage = ["--cov=dlbook", "--cov-report=term-missing:skip-covered"]
    run(pytest + ["-m", "not book", "-n", "auto", *coverage], env=env)  # one worker per core
    for backend in OTHER_BACKENDS:
        print(f"The Keras layer's tests on KERAS_BACKEND={backend} ...", flush=True)
        run(pytest + ["-m", "not book and not on_jax", "-n", "auto", "-p", "no:cacheprovider",
                      *BACKEND_MATRIX], env=dict(env, KERAS_BACKEND=backend))
    build_book(clean=True, env=env)
    run(pytest + ["-m", "book", "-p", "no:cacheprovider"], env=env)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["book", "test", "page"], help="what to do")
    parser.add_argument("page", nargs="?", type=Path, help="page: the chapter file to build")
    parser.add_argument("--clean", action="store_true", help="book: rebuild from an empty _build")
    args = parser.parse_args()
    ensure_environment()
    if args.command == "book":
        ensure_system_packages("chromium")
        build_book(clean=args.clean, env=book_env())
    elif args.command == "page":
        if args.page is None:
            parser.error("page needs the chapter file, e.g. book/03_backpropagation.md")
        ensure_system_packages("chromium")
        build_page(args.page)
    else:
        test()


if __name__ == "__main__":
    main()
