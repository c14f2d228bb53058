"""The training path the chapters use: ``fit`` a compiled Keras model.

On the CPU this is ``model.fit``. It is the one place where a faster path for
an accelerator can live (a compiled loop over many steps with the data
resident on the device), so that a reader's GPU is used well without any
change to a chapter.
"""

from __future__ import annotations

import numpy as np


def _check_arrays(x, y) -> None:
    for name, value in (("x", x), ("y", y)):
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x must hold at least one example, got an empty array")


def fit(model, x, y, *, epochs: int, batch_size: int = 32, validation_data=None, callbacks=None,
        shuffle: bool = True, verbose: int = 0):
    """Train ``model`` (compiled) on NumPy arrays ``x`` ``(N, ...)`` and ``y`` ``(N, ...)``.

    Returns the ``keras.callbacks.History``, as ``model.fit`` does.
    """
    if not getattr(model, "compiled", False):
        raise ValueError("model must be compiled before fit: call model.compile(...) first")
    _check_arrays(x, y)
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    return model.fit(x, y, epochs=int(epochs), batch_size=int(batch_size),
                     validation_data=validation_data, callbacks=callbacks, shuffle=shuffle,
                     verbose=verbose)
