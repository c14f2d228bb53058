"""Five functions attack the result channel between worker and grader, one way each.

The worker holds its result file open (the descriptor whose link ends in
``/result``) and the grader reads it after the worker has ended:

- sigmoid_prime writes a well-framed message whose value is ``{"a": 1, "b": 2}``,
  a node of two tags that the decoder does not expect, then exits;
- softmax writes a message with one array whose ``.npy`` header claims shape
  ``(10**12,)`` (8 TB of float64), then exits;
- binary_crossentropy replaces its result file by a symlink to /dev/zero;
- binary_crossentropy_grad replaces it by a FIFO;
- perceptron_predict stops the grader (its ancestor running ``grade``) with SIGSTOP.

Deserved: 0 for those five, full marks for sigmoid.
"""

import io
import json
import os
import signal
import struct

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("sigmoid_prime", "softmax", "binary_crossentropy", "binary_crossentropy_grad",
            "perceptron_predict")


def _result_fd() -> int:
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").endswith("/result"):
                return int(fd)
        except OSError:
            continue  # the descriptor listdir itself used
    raise RuntimeError("no result file")


def _write_frame(header: dict, arrays: tuple[bytes, ...] = ()) -> None:
    """A frame in the codec's format: u64 length | b"DLBG" | u32 header length | header | arrays."""
    text = json.dumps(header).encode()
    message = b"DLBG" + struct.pack(">I", len(text)) + text
    message += b"".join(struct.pack(">Q", len(blob)) + blob for blob in arrays)
    os.write(_result_fd(), struct.pack(">Q", len(message)) + message)


def sigmoid_prime(z):
    _write_frame({"value": {"a": 1, "b": 2}, "arrays": 0})
    os._exit(0)


def softmax(z):
    buffer = io.BytesIO()  # a valid .npy header for a float64 array of 10**12 entries, no data
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    _write_frame({"value": {"array": 0}, "arrays": 1}, (buffer.getvalue() + bytes(8),))
    os._exit(0)


def _replace_result_file(make) -> None:
    path = os.readlink(f"/proc/self/fd/{_result_fd()}")
    os.unlink(path)
    make(path)
    os._exit(0)


def binary_crossentropy(y, p):
    _replace_result_file(lambda path: os.symlink("/dev/zero", path))


def binary_crossentropy_grad(y, p):
    _replace_result_file(os.mkfifo)


def perceptron_predict(w, X):
    pid = os.getppid()  # worker -> fork server -> grader: stop the one running `grade`
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            if b"\0grade\0" in stream.read():
                os.kill(pid, signal.SIGSTOP)
                break
        with open(f"/proc/{pid}/status") as stream:
            pid = int(next(line.split()[1] for line in stream if line.startswith("PPid:")))
    return np.zeros(len(X), dtype=int)
