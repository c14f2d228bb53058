"""The one seam where dlbook touches a specific Keras backend.

Everything else in the Keras layer is written with ``keras`` and ``keras.ops``
and runs on TensorFlow, JAX and PyTorch alike. What has no backend-neutral API
in Keras 3 lives here, and only here imports ``tensorflow``, ``jax`` or
``torch`` (inside the functions, so that importing this module loads none):

- :func:`name`, :func:`accelerator` and :func:`fast_bfloat16`: which backend,
  on which device, and whether that device multiplies bfloat16 quickly;
- :func:`enable_determinism`, :func:`enable_float64` and
  :func:`quiet_known_warnings`: the switches, one small function per backend,
  chosen by :func:`name`;
- :func:`autodiff_gradient`: automatic differentiation of a ``keras.ops`` loss;
- :func:`to_device` and :func:`compile_step_block`: the two JAX pieces of the
  compiled training loop of :func:`dlbook.training.fit` (JAX only).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from dlbook import validation

#: The first NVIDIA compute capability with bfloat16 tensor cores.
AMPERE = (8, 0)


def name() -> str:
    """The active Keras backend: ``"tensorflow"``, ``"jax"`` or ``"torch"``."""
    from dlbook.keras_import import keras

    return keras.backend.backend()


def accelerator() -> str | None:
    """The accelerator the active backend computes on (``"gpu"``, ``"tpu"``, ...), ``None`` on the CPU."""
    return {"tensorflow": _tensorflow_accelerator, "jax": _jax_accelerator,
            "torch": _torch_accelerator}.get(name(), _no_accelerator)()


def fast_bfloat16() -> bool:
    """Whether the active backend computes on an accelerator with fast bfloat16 arithmetic.

    A TPU, or an NVIDIA GPU of compute capability 8.0 or higher (Ampere:
    A100, then Hopper: H100, H200, ...), whose tensor cores multiply bfloat16.
    The CPU, even one with bfloat16 instructions, counts as not.
    """
    return {"tensorflow": _tensorflow_bfloat16, "jax": _jax_bfloat16,
            "torch": _torch_bfloat16}.get(name(), _no_bfloat16)()


def enable_determinism() -> None:
    """Ask the active backend for deterministic kernels (same numbers every run)."""
    {"tensorflow": _tensorflow_determinism, "jax": _no_op, "torch": _torch_determinism}.get(
        name(), _no_op
    )()


def enable_float64() -> None:
    """Let ``dtype="float64"`` Keras layers compute in float64 on the active backend.

    TensorFlow and PyTorch always can; JAX truncates float64 to float32 (with a
    warning) unless its ``jax_enable_x64`` switch is on. Called by every
    function that compares a float64 Keras layer with a NumPy reference.
    """
    {"jax": _jax_float64}.get(name(), _no_op)()


def quiet_known_warnings() -> None:
    """Silence the active backend's warnings that are known to be harmless in the chapters.

    JAX without x64 warns whenever Keras asks for int64, as the confusion
    matrix behind ``keras.metrics.MeanIoU`` does for its class indices, and
    uses int32 instead: exact for any class index. Other warnings still show.
    """
    if name() == "jax":
        warnings.filterwarnings("ignore", category=UserWarning,
                                message="Explicitly requested dtype int64 .* truncated to dtype int32")


def autodiff_gradient(loss: Callable, params: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Gradients of ``loss(params)`` with respect to each array in ``params``.

    ``loss`` takes a list of backend tensors and returns a scalar, written with
    ``keras.ops`` so that it means the same on every backend. The result is a
    list of float64 NumPy arrays shaped like ``params`` (zeros for an array
    the loss does not depend on).
    """
    validation.function("loss", loss)
    arrays = [np.asarray(p, dtype=np.float64) for p in params]
    if not arrays:
        raise ValueError("params must hold at least one array, got an empty sequence")
    differentiators = {
        "tensorflow": _tensorflow_gradient,
        "jax": _jax_gradient,
        "torch": _torch_gradient,
    }
    backend = name()
    if backend not in differentiators:  # Keras' numpy and openvino backends cannot differentiate
        raise ValueError(f"autodiff_gradient needs KERAS_BACKEND to be one of "
                         f"{sorted(differentiators)}, got {backend!r}")
    return [np.asarray(g, dtype=np.float64) for g in differentiators[backend](loss, arrays)]


def _tensorflow_gradient(loss, arrays):
    import tensorflow as tf

    variables = [tf.Variable(a) for a in arrays]
    with tf.GradientTape() as tape:
        value = _scalar(loss(variables))
    # a parameter the loss does not use gets zeros (as under JAX), not None
    grads = tape.gradient(value, variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return [g.numpy() for g in grads]


def _jax_gradient(loss, arrays):
    import jax

    enable_float64()
    return jax.grad(lambda ps: _scalar(loss(list(ps))))(tuple(jax.numpy.asarray(a) for a in arrays))


def _jax_float64():
    import jax

    jax.config.update("jax_enable_x64", True)


def _torch_gradient(loss, arrays):
    import torch

    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    _scalar(loss(tensors)).backward()
    return [np.zeros(t.shape) if t.grad is None else t.grad.detach().cpu().numpy()
            for t in tensors]


def _scalar(value):
    """The loss value, if it is a scalar tensor (TensorFlow would silently sum a vector)."""
    shape = getattr(value, "shape", None)
    if shape is None or tuple(shape) != ():
        got = f"shape {tuple(shape)}" if shape is not None else type(value).__name__
        raise ValueError(f"loss must return a scalar tensor, got {got}")
    return value


def _tensorflow_accelerator():
    import tensorflow as tf

    return "gpu" if tf.config.list_physical_devices("GPU") else None


def _jax_accelerator():
    import jax

    platform = jax.default_backend()
    return None if platform == "cpu" else platform


def _torch_accelerator():
    import torch

    if torch.cuda.is_available():
        return "gpu"
    return "mps" if torch.backends.mps.is_available() else None


def _tensorflow_bfloat16():
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return bool(gpus) and tf.config.experimental.get_device_details(gpus[0]).get(
        "compute_capability", (0, 0)) >= AMPERE


def _jax_bfloat16():
    import jax

    device = jax.devices()[0]
    if device.platform == "tpu":
        return True
    capability = getattr(device, "compute_capability", None)  # "9.0" on an H100 (CUDA only)
    return device.platform == "gpu" and capability is not None and tuple(
        int(part) for part in str(capability).split(".")[:2]) >= AMPERE


def _torch_bfloat16():
    import torch

    return torch.cuda.is_available() and torch.cuda.get_device_capability() >= AMPERE


def _no_bfloat16():
    return False


def _no_accelerator():
    """Keras' numpy and openvino backends compute on the CPU here."""
    return None


def _tensorflow_determinism():
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


def _torch_determinism():
    import torch

    torch.use_deterministic_algorithms(True, warn_only=True)


def _no_op():
    """JAX is deterministic on the CPU by construction."""


# ---------------------------------------------------------------------------
# The compiled training loop of dlbook.training (JAX only)


def to_device(arrays):
    """``arrays`` (a tuple of NumPy arrays) copied once onto JAX's default device."""
    import jax

    return jax.device_put(arrays)


def compile_step_block(step: Callable, unroll: int | None) -> Callable:
    """``block(state, (x, y), rows) -> (state, logs)``: ``step`` on ``x[rows[i]]``, ``y[rows[i]]`` for each i.

    ``step(state, (x_batch, y_batch)) -> (logs, state)`` is a stateless Keras
    step (``model.train_step`` or ``model.test_step`` under JAX). ``rows`` is
    ``(steps, batch)`` indices into the resident arrays; the steps run in
    order inside one ``jax.jit``-compiled call, in a ``jax.lax.scan``
    (``unroll`` as there) or, with ``unroll=None``, traced one after another.
    ``logs`` are the last step's.
    """
    import jax

    def block(state, data, rows):
        x, y = data

        def one_step(state, batch_rows):
            logs, new_state = step(state, (x[batch_rows], y[batch_rows]))
            # the carry must keep its dtypes (a Python float in a step would widen it)
            new_state = jax.tree.map(lambda new, old: new.astype(old.dtype), new_state, state)
            return new_state, logs

        if unroll is None:
            for i in range(rows.shape[0]):
                state, logs = one_step(state, rows[i])
            return state, logs
        state, logs = jax.lax.scan(one_step, state, rows, unroll=unroll)
        return state, jax.tree.map(lambda v: v[-1], logs)

    return jax.jit(block)
