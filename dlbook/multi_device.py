"""Data parallelism for :func:`dlbook.training.fit`, with Keras' own distribution API.

Data parallelism copies the whole model onto each of :math:`D` devices and
splits every mini-batch of :math:`B` examples into :math:`D` shards of
:math:`B/D`. Each device computes the gradient of the mean loss on its shard,
:math:`g_d`; an *all-reduce* averages them,

.. math:: g = \\frac{1}{D} \\sum_{d=1}^{D} g_d,

which is exactly the gradient of the mean loss on the whole batch, and every
device applies the same update to its copy, so the copies never drift apart.
Training on :math:`D` devices with global batch :math:`B` therefore takes the
very steps one device takes with batch :math:`B`: the learning rate stays
what it was for :math:`B`.

Nothing here averages a gradient by hand. ``keras.distribution.DataParallel``
describes the layout (variables replicated, batches split along their first
axis) and XLA inserts the all-reduce when it compiles the train step (JAX
backend only). :func:`replicated` applies it to a model that already exists,
for the duration of one ``fit`` call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager

import numpy as np

from dlbook import backend, validation
from dlbook.keras_import import keras


def devices(data_parallel: bool | None) -> list[str]:
    """The devices one ``fit`` call spreads its batches over; empty: one device, as usual.

    ``data_parallel=True`` asks for every device ``keras.distribution.list_devices()``
    gives (accelerators, or the CPU's virtual devices), and needs
    ``KERAS_BACKEND=jax`` and more than one device; ``False`` is one device;
    ``None`` is every device when the JAX backend sees more than one
    accelerator, else one.
    """
    if data_parallel is not None:
        validation.boolean("data_parallel", data_parallel)
    if data_parallel is False or (backend.name() != "jax" and data_parallel is None):
        return []
    if backend.name() != "jax":
        raise ValueError(f"data_parallel=True needs KERAS_BACKEND=jax (keras.distribution), got "
                         f"{backend.name()!r}")
    found = keras.distribution.list_devices()
    if data_parallel is None:
        return found if backend.accelerator() is not None and len(found) > 1 else []
    if len(found) < 2:
        raise ValueError(f"data_parallel=True needs more than one device, JAX sees {found}; on the CPU, "
                         f"set XLA_FLAGS=--xla_force_host_platform_device_count=4 before JAX starts")
    return found


def check_batches(n_devices: int, batch_size: int, sizes: dict[str, int]) -> None:
    """Every batch of every array in ``sizes`` (name: rows) must split evenly over the devices."""
    if batch_size % n_devices:
        raise ValueError(f"batch_size={batch_size} does not split over {n_devices} devices: "
                         f"use a multiple of {n_devices}")
    for name, rows in sizes.items():
        if rows % batch_size % n_devices:
            raise ValueError(f"the last batch of {name} ({rows} rows, batch_size={batch_size}) holds "
                             f"{rows % batch_size} rows, which do not split over {n_devices} devices: "
                             f"make the number of rows a multiple of {n_devices}")


@contextmanager
def replicated(model, device_names: list[str]):
    """``model`` trained data-parallel over ``device_names`` inside the ``with`` block.

    The model must be built, with its optimizer and metrics (``fit`` makes
    sure of it): their variables exist already, so they are copied onto every
    device here, and back onto the first device on the way out, so that the
    model is used after ``fit`` as before it. Keras' compiled train and test
    functions were traced for the other placement: the caller drops them on
    the way in and out.
    """
    distribution = keras.distribution.DataParallel(devices=device_names)
    one_device = keras.distribution.DataParallel(devices=device_names[:1])
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    try:
        _lay_out(model, distribution)
        yield distribution
    finally:
        keras.distribution.set_distribution(previous)
        _lay_out(model, one_device)


def _lay_out(model, distribution) -> None:
    """Every variable of ``model`` (weights, optimizer, metrics) placed as ``distribution`` says."""
    for variable in (*model.variables, *model.optimizer.variables, *model.metrics_variables):
        layout = distribution.get_variable_layout(variable)
        variable.assign(keras.distribution.distribute_tensor(variable.value, layout))


def virtual_devices_env(count: int) -> dict[str, str]:
    """The environment that makes JAX on the CPU show ``count`` devices (read once, when JAX starts)."""
    count = validation.integer("count", count, 1)
    flags = os.environ.get("XLA_FLAGS", "")
    return {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": f"{flags} --xla_force_host_platform_device_count={count}".strip()}


def one_and_many(steps: int = 8, batch_size: int = 64, seed: int = 0) -> dict:
    """Chapter 10's MNIST CNN trained ``steps`` steps on one device, then data-parallel on all of them.

    Run in a process where JAX sees several devices (:func:`on_virtual_cpu_devices`
    starts one on the CPU). Both runs start from the same weights and take the
    same global batches of ``batch_size`` MNIST-subset images in the same order
    with SGD; data parallelism changes only where the arithmetic happens, so
    the two sets of weights must agree up to float32 rounding. Returns the
    device counts, the two runs' mean losses, the largest weight difference
    and the largest weight.
    """
    from dlbook import cnn, data, training

    steps = validation.integer("steps", steps, 1)
    batch_size = validation.integer("batch_size", batch_size, 1)
    split = data.load_mnist_subset()
    x = split.x_train[:steps * batch_size, ..., None].astype("float32")  # (N, 28, 28, 1)
    y = split.y_train[:steps * batch_size]
    runs = {}
    for parallel in (False, True):
        keras.utils.set_random_seed(seed)
        model = cnn.build_mnist_cnn()
        model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
        history = training.fit(model, x, y, epochs=1, batch_size=batch_size, shuffle=False,
                               data_parallel=parallel)
        runs[parallel] = (history, model.get_weights())
    (one, one_weights), (many, many_weights) = runs[False], runs[True]
    return {"devices": [one.devices, many.devices], "steps": steps, "batch_size": batch_size,
            "loss": [one.history["loss"][0], many.history["loss"][0]],
            "max_weight_difference": max(float(np.abs(a - b).max())
                                         for a, b in zip(one_weights, many_weights, strict=True)),
            "max_weight": max(float(np.abs(w).max()) for w in one_weights)}


def on_virtual_cpu_devices(count: int = 4, **kwargs) -> dict:
    """:func:`one_and_many` run in a new Python process whose JAX shows ``count`` CPU devices.

    The same as the command ``XLA_FLAGS=--xla_force_host_platform_device_count=4
    KERAS_BACKEND=jax python -m dlbook.multi_device`` (JAX reads the flag once,
    when it starts, so it cannot be set inside a running kernel).
    """
    env = dict(os.environ, **virtual_devices_env(count))
    command = [sys.executable, "-m", "dlbook.multi_device", json.dumps(kwargs)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(one_and_many(**json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}"))))
