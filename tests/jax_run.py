"""Run a script on Keras' JAX backend, in a fresh interpreter: Keras picks its backend once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_on_jax(script: str, unset: tuple[str, ...] = ()) -> dict:
    """The JSON object ``script`` prints last, run from the repository root with
    ``KERAS_BACKEND=jax`` on the CPU and without the environment variables in ``unset``."""
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
