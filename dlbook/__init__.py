"""dlbook: the code behind the book *Deep Learning, Derived and Run*.

Two layers live here. The NumPy layer (``activations``, ``losses``,
``gradient_descent``, ``backprop``, ``gradcheck``, ``perceptron``) writes the
maths out in plain arrays. The Keras layer (``models``, ``callbacks``,
``tuning``, ``backend``) is what the chapters train with.

Importing ``dlbook`` is cheap: no submodule is imported here and none of the
NumPy layer imports Keras, so ``import dlbook`` never loads TensorFlow.
"""

__version__ = "0.1.0"
