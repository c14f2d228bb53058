"""How closely a float64 NumPy reference and a float64 Keras computation agree, on each backend.

On TensorFlow a Keras layer or op given float64 computes in float64: the same sums in another
order, agreement to about 1e-12 relative. JAX and PyTorch do not everywhere, and these are the
known differences, tested with their own tolerance rather than skipped: under JAX, Keras'
normalization ops in float64 agree only to about 1e-6 (measured on the CPU: 3.6e-7 for
``keras.ops.layer_normalization`` alone) and XLA's CPU tanh is float32-accurate (1.5e-7
relative); Keras' torch backend turns float64 NumPy inputs into
float32 tensors in several ops (the losses, matmul with a NumPy operand), about 1e-8 relative.
"""

from dlbook import backend

#: Whether float64 Keras computations are float64 throughout on the active backend.
FLOAT64_THROUGHOUT = backend.name() == "tensorflow"
#: Relative (and absolute, on O(1) values) tolerance of a float64 Keras computation.
KERAS64_RTOL = 1e-12 if FLOAT64_THROUGHOUT else 5e-6
#: Relative error of a gradient against automatic differentiation through float64 Keras ops.
AUTODIFF_RTOL = 1e-10 if FLOAT64_THROUGHOUT else 1e-5
