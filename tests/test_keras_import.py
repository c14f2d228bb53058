"""One way into Keras: dlbook.keras_import, and the NumPy modules that never load it."""

import json
import os
import pkgutil
import subprocess
import sys

import pytest

import dlbook

#: The Keras layer: modules that import Keras when they are imported.
KERAS_MODULES = {
    "dlbook.keras_import", "dlbook.models", "dlbook.cnn", "dlbook.callbacks", "dlbook.tuning",
    "dlbook.schedules_keras", "dlbook.regularization_keras", "dlbook.resnet_keras",
    "dlbook.recurrent_keras", "dlbook.gan_keras", "dlbook.multi_device",
}
ALL_MODULES = sorted(info.name for info in pkgutil.walk_packages(dlbook.__path__, "dlbook.")
                     if not info.name.endswith(".__main__"))  # running it runs the command line
NUMPY_MODULES = [name for name in ALL_MODULES if name not in KERAS_MODULES]

# Imports each module in turn in one fresh interpreter and names the first that loaded Keras.
_PROBE = """
import importlib, json, sys
loaded = {}
for name in sys.argv[1:]:
    importlib.import_module(name)
    loaded[name] = "keras" in sys.modules or "tensorflow" in sys.modules
    if loaded[name]:
        break
print(json.dumps(loaded))
"""


@pytest.fixture(scope="module")
def keras_loaded_by():
    """``{module: whether Keras was loaded once it had been imported}``, NumPy modules in order."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *NUMPY_MODULES], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("module", NUMPY_MODULES)
def test_importing_a_numpy_module_does_not_import_keras(module, keras_loaded_by):
    if module not in keras_loaded_by:
        culprit = next(name for name, loaded in keras_loaded_by.items() if loaded)
        pytest.fail(f"not reached: importing {culprit} earlier already loaded Keras")
    assert not keras_loaded_by[module], f"importing {module} loaded Keras or TensorFlow"


#: The NumPy maths of the chapters whose modules also build Keras models, run end to end.
CALLS = {
    "normalization": "nz.batchnorm_backward(np.ones((3, 2)), nz.batchnorm_forward(np.eye(3, 2), "
                     "np.ones(2), np.zeros(2))[1]); nz.gradient_check('layernorm')",
    "segmentation": "x, m = nz.make_shapes(2, 16); nz.mean_iou(m, m, 3); nz.load_shapes(2, 1, 1, 16); "
                    "nz.transposed_conv2d(x, np.ones((2, 2, 1, 3))); nz.unet_parameter_count(3)",
    "recurrent": "nz.gradient_check(); _, c = nz.rnn_forward(np.ones((2, 3, 1)), None, "
                 "*nz.init_rnn_weights(1, 2)); nz.state_gradient_norms(c); "
                 "nz.naive_forecast(nz.synthetic_split(30).x_test)",
    "lstm": "nz.gradient_check(); t = nz.marked_value_task(20, 5); "
            "nz.lstm_forward(t.x, None, None, *nz.init_lstm_weights(2, 3))",
}


@pytest.mark.parametrize("module", sorted(CALLS))
def test_running_a_modules_numpy_maths_does_not_import_keras(module):
    code = (f"import sys; import numpy as np; from dlbook import {module} as nz; {CALLS[module]}; "
            "print('keras' in sys.modules or 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_keras_modules_exist():
    assert KERAS_MODULES <= set(ALL_MODULES), sorted(KERAS_MODULES - set(ALL_MODULES))


def test_keras_import_silences_tensorflow_before_loading_it():
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND")}
    code = ("import os, sys; from dlbook.keras_import import keras; "
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], keras.backend.backend(), 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["3", "tensorflow", "True"]
    assert out.stderr == "", out.stderr
