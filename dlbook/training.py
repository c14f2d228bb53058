"""The training path the chapters use: ``fit`` a compiled Keras model.

Two ways to train sit behind the one function :func:`fit`:

* ``model.fit`` -- what TensorFlow, PyTorch and JAX on the CPU use. It feeds
  the model one mini-batch at a time from the NumPy arrays, calling one
  compiled step per batch.
* a compiled JAX loop -- what a reader with a GPU gets under
  ``KERAS_BACKEND=jax``. The arrays are put on the device once; each epoch is
  one call of a ``jax.jit``-compiled function that runs *all* the epoch's
  mini-batches with ``jax.lax.scan``, gathering each batch on the device
  from a per-epoch permutation (the JAX calls are
  :func:`dlbook.backend.to_device` and :func:`dlbook.backend.compile_step_block`;
  this module imports no backend). Each step is Keras' own stateless
  ``model.train_step`` (``model.stateless_call`` for the forward pass,
  ``optimizer.stateless_apply`` for the update), so the arithmetic is the
  one ``model.fit`` does; only the Python and host-to-device traffic between
  steps is gone. On a GPU that traffic, not the arithmetic, is what limits a
  small network such as the chapter's MNIST CNN. (Forced onto the CPU, as
  the tests do, a call runs blocks of ``CPU_BLOCK_STEPS`` steps instead: see
  there why.)

Which one runs is decided per call: :func:`fit`'s docstring says how, and the
returned history says which (``history.training_path``).
"""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np

from dlbook import backend, mixed_precision, validation

#: Environment switch for the compiled JAX loop: ``"1"`` (use it, also on the
#: CPU), ``"0"`` (never) or ``"auto"`` (the default: only on an accelerator).
FAST_FIT_ENV = "DLBOOK_FAST_FIT"
COMPILED_PATH = "compiled_jax"
KERAS_PATH = "model.fit"

# Callback hooks the compiled loop cannot call: it runs a whole epoch in one
# device call, and validates without Keras' evaluate loop.
_UNSUPPORTED_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
                      "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end")
_ENV_VALUES = {"1": True, "0": False, "auto": None, "": None}

#: On an accelerator a whole epoch is one ``jax.lax.scan``, unrolled this many
#: steps per loop iteration (a tuning knob; 1 keeps the compiled program small).
ACCELERATOR_UNROLL = 1
#: On the CPU (the loop forced there, as in the tests) a call runs at most this
#: many steps, traced one after another with no ``scan``: XLA's CPU compiler
#: runs a convolution inside a ``jax.lax.scan``, even a fully unrolled one,
#: about 50 times slower than in a plain compiled step (measured on the
#: chapter CNN), while straight-line steps run at the plain step's speed.
CPU_BLOCK_STEPS = 8


def _check_arrays(x, y) -> None:
    for name, value in (("x", x), ("y", y)):  # any dtype: labels may be ints
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x must hold at least one example, got an empty array")


def _check_callbacks(callbacks) -> list:
    from dlbook.keras_import import keras

    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of keras.callbacks.Callback, got "
                        f"{type(callbacks).__name__}")
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(f"callbacks must hold keras.callbacks.Callback instances, got "
                            f"{type(callback).__name__}")
    return list(callbacks)


def fit(model, x, y, *, epochs: int, batch_size: int = 32, validation_data=None, callbacks=None,
        shuffle: bool = True, verbose: int = 0, fast: bool | None = None, precision: str | None = None,
        data_parallel: bool | None = None):
    """Train ``model`` (compiled) on NumPy arrays ``x`` ``(N, ...)`` and ``y`` ``(N, ...)``.

    Returns the ``keras.callbacks.History``, as ``model.fit`` does, with four
    more attributes: ``training_path`` (``"compiled_jax"`` or ``"model.fit"``),
    ``fallback_reason`` (why the compiled loop was not used, or ``None``),
    ``precision`` and ``devices`` (both below).

    The compiled JAX loop (module docstring) is used when the Keras backend is
    JAX and either JAX computes on an accelerator (``jax.default_backend()``
    is not ``"cpu"``) or it is asked for: ``fast=True``, or the environment
    variable ``DLBOOK_FAST_FIT=1`` when ``fast`` is ``None``. ``fast=False``
    or ``DLBOOK_FAST_FIT=0`` switch it off. Everything else goes to
    ``model.fit``, unchanged.

    The compiled loop does the arithmetic of ``model.fit``: mini-batches
    drawn as it draws them (each epoch a ``np.random.permutation``, which
    ``keras.utils.set_random_seed`` seeds; with ``shuffle=False`` the very
    same batches), the last partial batch included as one smaller step (its
    own compilation, once), dropout masks from the layers' seed generators
    (their states travel with the model's non-trainable variables),
    BatchNormalization's moving statistics, regularization losses, metrics
    (``history`` has ``loss``, the metrics, and ``val_`` of each with
    validation data), ``verbose`` as one line an epoch; the weights,
    optimizer state and metrics are written back into ``model`` after every
    epoch, so callbacks, ``evaluate`` and ``predict`` see the trained model.
    Validation (``validation_data=(x_val, y_val)``) is a compiled loop too.
    Callbacks get their train and epoch hooks only (``EarlyStopping``,
    ``ReduceLROnPlateau``, ``LearningRateScheduler``, ``CSVLogger``, ...);
    a callback with batch or test hooks (``ModelCheckpoint``,
    ``TerminateOnNaN``, ``TensorBoard``, a per-batch learning-rate schedule)
    sends the call to ``model.fit``, as do ``run_eagerly``, ``jit_compile``
    off, a ``keras.distribution``, a model that overrides ``fit``,
    ``shuffle`` that is not a bool and validation data other than a pair of
    NumPy arrays. With ``fast=True`` each of these is a ``ValueError``
    instead, and so is a backend other than JAX.

    ``precision`` (``"auto"``, ``"float32"`` or ``"mixed_bfloat16"``; ``None``
    reads ``DLBOOK_PRECISION``) is the arithmetic of this call:
    ``"auto"`` trains in bfloat16 mixed precision on an accelerator with fast
    bfloat16 and in float32 elsewhere (:mod:`dlbook.mixed_precision`). The
    history says which (``history.precision``).

    ``data_parallel`` (``True``, ``False``, ``None``: automatic, on when the
    JAX backend sees several accelerators) trains on every device with
    ``keras.distribution.DataParallel``, through ``model.fit``; every batch
    must split evenly over the devices (:mod:`dlbook.multi_device`). The
    history says on how many (``history.devices``).
    """
    from dlbook import multi_device  # imports Keras: kept out of ``import dlbook.training``

    if not getattr(model, "compiled", False):
        raise ValueError("model must be compiled before fit: call model.compile(...) first")
    _check_arrays(x, y)
    epochs = validation.integer("epochs", epochs, 1)
    batch_size = validation.integer("batch_size", batch_size, 1)
    if fast is not None:
        validation.boolean("fast", fast)
    callbacks = _check_callbacks(callbacks)
    arithmetic = mixed_precision.resolve(precision, model)
    devices = _devices(model, x, y, batch_size, validation_data, data_parallel)
    reason = _fallback_reason(model, fast, validation_data, callbacks, shuffle, len(devices))
    spread = multi_device.replicated(model, devices) if devices else contextlib.nullcontext()
    retrace = arithmetic != mixed_precision.FLOAT32 or bool(devices)
    with _retraced(model, retrace), mixed_precision.training_in(model, arithmetic), spread:
        if reason is None:
            history = _fit_compiled_jax(model, x, y, epochs=epochs, batch_size=batch_size,
                                        validation_data=validation_data, callbacks=callbacks,
                                        shuffle=shuffle, verbose=verbose, arithmetic=arithmetic)
        else:
            history = model.fit(x, y, epochs=epochs, batch_size=batch_size,
                                validation_data=validation_data, callbacks=callbacks or None,
                                shuffle=shuffle, verbose=verbose)
    history.training_path = COMPILED_PATH if reason is None else KERAS_PATH
    history.fallback_reason = reason
    history.precision = arithmetic
    history.devices = max(len(devices), 1)
    return history


@contextlib.contextmanager
def _retraced(model, needed: bool):
    """Keras' cached train, test and predict functions dropped before and after a call that
    changes the model's dtypes or placement: they were traced for the old ones."""
    if needed:
        model.train_function = model.test_function = model.predict_function = None
    try:
        yield
    finally:
        if needed:
            model.train_function = model.test_function = model.predict_function = None


def _devices(model, x, y, batch_size, validation_data, data_parallel) -> list[str]:
    """The devices a data-parallel call trains on (none: one device, as usual), the model built for them."""
    from dlbook import multi_device

    devices = multi_device.devices(data_parallel)
    if devices:
        rows = {"x": len(x)}
        if isinstance(validation_data, tuple) and len(validation_data) == 2:
            rows["x_val"] = len(validation_data[0])
        multi_device.check_batches(len(devices), batch_size, rows)
        # the variables must exist before they are copied onto the devices
        model._symbolic_build(data_batch=(_device_dtype(x[:batch_size]), _device_dtype(y[:batch_size])))
    return devices


def predict(model, x, batch_size: int = 256) -> np.ndarray:
    """``model(x, training=False)`` in chunks of ``batch_size`` rows, as a float64 NumPy array.

    A direct call, not ``model.predict``: it compiles no prediction function, so it
    can be used on many models, or after every epoch, without tracing one for each.
    """
    from dlbook.keras_import import keras

    validation.keras_model("model", model)
    batch_size = validation.integer("batch_size", batch_size, 1)
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch (N, ...), got shape {x.shape}")
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype(keras.backend.floatx())
    outputs = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=False))
               for i in range(0, len(x), batch_size)]
    return np.concatenate(outputs).astype(np.float64)


def fast_fit_setting() -> bool | None:
    """``DLBOOK_FAST_FIT`` read: ``True`` (``"1"``), ``False`` (``"0"``) or ``None`` (``"auto"``, unset)."""
    raw = os.environ.get(FAST_FIT_ENV, "auto")
    value = raw.strip().lower()
    if value not in _ENV_VALUES:
        raise ValueError(f"{FAST_FIT_ENV} must be one of '0', '1' or 'auto', got {raw!r}")
    return _ENV_VALUES[value]


def _fallback_reason(model, fast, validation_data, callbacks, shuffle, n_devices) -> str | None:
    """Why this call must go to ``model.fit`` (``None``: the compiled loop can run it)."""
    wanted = fast_fit_setting() if fast is None else fast
    if wanted is False:
        return "switched off (fast=False or DLBOOK_FAST_FIT=0)"
    if n_devices:
        reason = f"data-parallel training on {n_devices} devices goes through model.fit"
    elif backend.name() != "jax":
        reason = f"the Keras backend is {backend.name()!r}, not 'jax'"
    elif wanted is None and backend.accelerator() is None:
        return "JAX computes on the CPU (set DLBOOK_FAST_FIT=1 or fast=True to use the loop there)"
    else:
        reason = _unsupported(model, validation_data, callbacks, shuffle)
    if reason is not None and fast is True:
        raise ValueError(f"fast=True cannot train this call with the compiled JAX loop: {reason}")
    return reason


def _unsupported(model, validation_data, callbacks, shuffle) -> str | None:
    from dlbook.keras_import import keras

    if not hasattr(model, "_symbolic_build"):  # Keras' own first step of fit, which the loop reuses
        return "this Keras has no Model._symbolic_build"
    if model.run_eagerly:
        return "model.run_eagerly is True"
    if not model.jit_compile:
        return "model.jit_compile is False"
    if keras.distribution.distribution() is not None:
        return "a keras.distribution is set"
    if type(model).fit is not keras.Model.fit:
        return f"{type(model).__name__} overrides fit"
    if not isinstance(shuffle, bool):
        return f"shuffle is {shuffle!r}, not a bool"
    if validation_data is not None and not (
            isinstance(validation_data, tuple) and len(validation_data) == 2
            and all(isinstance(a, np.ndarray) for a in validation_data)):
        return "validation_data is not a pair (x_val, y_val) of NumPy arrays"
    for callback in callbacks:
        for hook in _UNSUPPORTED_HOOKS:
            method = getattr(callback, hook)
            if getattr(method, "__func__", method) is not getattr(keras.callbacks.Callback, hook):
                return f"callback {type(callback).__name__} has a {hook} hook"
    return None


# ---------------------------------------------------------------------------
# The compiled JAX loop


def _fit_compiled_jax(model, x, y, *, epochs, batch_size, validation_data, callbacks, shuffle, verbose,
                      arithmetic):
    from dlbook.keras_import import keras

    x, y = _device_dtype(x), _device_dtype(y)
    n = len(x)
    model._symbolic_build(data_batch=(x[:batch_size], y[:batch_size]))  # what model.fit does first
    steps_per_call, unroll = _block_plan()
    train_block, test_block = _compiled_blocks(model, unroll, arithmetic)
    data = backend.to_device((x, y))  # once: the epochs index into it on the device
    val = None
    if validation_data is not None:
        if len(validation_data[0]) != len(validation_data[1]) or len(validation_data[0]) == 0:
            raise ValueError(f"validation_data must hold the same number of examples (at least one) in "
                             f"x_val and y_val, got {len(validation_data[0])} and {len(validation_data[1])}")
        val = backend.to_device(tuple(_device_dtype(a) for a in validation_data))

    callback_list = keras.callbacks.CallbackList(
        callbacks, add_history=True, add_progbar=False, model=model, verbose=verbose, epochs=epochs,
        steps=-(-n // batch_size))
    model.stop_training = False
    epoch_logs: dict = {}
    callback_list.on_train_begin()
    for epoch in range(epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)  # may change the learning rate: read the state after it
        started = time.perf_counter()
        order = np.random.permutation(n) if shuffle else np.arange(n)
        state = tuple([v.value for v in variables] for variables in (
            model.trainable_variables, model.non_trainable_variables, model.optimizer.variables,
            model.metrics_variables))
        state, logs = _run_blocks(train_block, state, data, order, batch_size, steps_per_call)
        _write_back(model, state)
        epoch_logs = _logs(model, logs)
        if val is not None:
            val_logs = _evaluate(model, test_block, val, batch_size, steps_per_call)
            epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - started:.2f}s - "
                  + " - ".join(f"{k}: {v:.4f}" for k, v in epoch_logs.items()), flush=True)
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=epoch_logs)
    return model.history


def _device_dtype(a: np.ndarray) -> np.ndarray:
    """Floating arrays in Keras' float type, as ``model.fit``'s data adapter casts them."""
    from dlbook.keras_import import keras

    if np.issubdtype(a.dtype, np.floating) and a.dtype != np.dtype(keras.backend.floatx()):
        return a.astype(keras.backend.floatx())
    return a


def _block_plan() -> tuple[int | None, int | None]:
    """``(steps_per_call, unroll)``: an epoch a call in one scan, or on the CPU straight-line blocks."""
    if backend.accelerator() is None:
        return CPU_BLOCK_STEPS, None
    return None, ACCELERATOR_UNROLL


class _CompiledBlocks:
    """The jitted blocks of one compiled model, and what they were traced for.

    A plain object on purpose: a tuple of variables set as a model attribute
    would be tracked by Keras and join ``model.weights``.
    """

    def __init__(self, key: tuple):
        self.key, self.blocks = key, {}

    def fits(self, key: tuple) -> bool:
        return len(self.key) == len(key) and all(a is b for a, b in zip(self.key, key, strict=True))


def _compiled_blocks(model, unroll, arithmetic):
    """The jitted train and test blocks of ``model`` in ``arithmetic`` (cached until it is compiled again).

    One pair per precision: a block traced under one dtype policy would go on
    computing in it after the policy changed.
    """
    key = (model.optimizer, *model.trainable_variables, *model.metrics_variables)
    cached = getattr(model, "_dlbook_compiled_blocks", None)
    if not (isinstance(cached, _CompiledBlocks) and cached.fits(key)):
        cached = _CompiledBlocks(key)
        model._dlbook_compiled_blocks = cached
    if (unroll, arithmetic) not in cached.blocks:
        cached.blocks[unroll, arithmetic] = (backend.compile_step_block(model.train_step, unroll),
                                             backend.compile_step_block(model.test_step, unroll))
    return cached.blocks[unroll, arithmetic]


def _run_blocks(block, state, data, order, batch_size, steps_per_call):
    """The full batches of ``order``, ``steps_per_call`` a call (``None``: all), then the partial batch.

    At most three shapes reach ``block`` (so at most three compilations): the
    full calls, a shorter last call of full batches, and the partial batch.
    """
    full = len(order) // batch_size
    rows = order[:full * batch_size].reshape(full, batch_size)
    per_call = full if steps_per_call is None else steps_per_call
    logs = None
    for start in range(0, full, max(per_call, 1)):
        state, logs = block(state, data, rows[start:start + per_call])
    if full * batch_size < len(order):
        state, logs = block(state, data, order[full * batch_size:].reshape(1, -1))
    return state, logs


def _write_back(model, state) -> None:
    trainable, non_trainable, optimizer, metrics = state
    for variables, values in ((model.trainable_variables, trainable),
                              (model.non_trainable_variables, non_trainable),
                              (model.optimizer.variables, optimizer), (model.metrics_variables, metrics)):
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)


def _logs(model, step_logs) -> dict:
    """The epoch's logs: the model's metrics (as ``model.fit`` reports them) or a custom step's logs."""
    metrics = model.get_metrics_result()
    logs = metrics if isinstance(step_logs, dict) and set(step_logs) == set(metrics) else step_logs
    return {name: float(np.asarray(value)) for name, value in logs.items()}


def _evaluate(model, test_block, val, batch_size, steps_per_call) -> dict:
    model.reset_metrics()
    state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
             [v.value for v in model.metrics_variables])
    state, logs = _run_blocks(test_block, state, val, np.arange(len(val[0])), batch_size, steps_per_call)
    for variable, value in zip(model.metrics_variables, state[2], strict=True):
        variable.assign(value)
    return _logs(model, logs)
