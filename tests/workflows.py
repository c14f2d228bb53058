"""GitHub workflow files, checked offline: GitHub's schema (vendored in check-jsonschema, no
download) and the parsed YAML. Shared by the release and book workflow tests."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)  # where `python` is this interpreter


def offline_env(tmp_path):
    """An environment in which any download fails fast and no user cache is read."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens, a connection is refused
    env.update(HTTP_PROXY=dead, HTTPS_PROXY=dead, http_proxy=dead, https_proxy=dead,
               XDG_CACHE_HOME=str(tmp_path / "cache"), PATH=BIN + os.pathsep + env.get("PATH", ""))
    return env


def check_jsonschema(path, tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, env=offline_env(tmp_path), timeout=120)


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc
