"""Training throughput of the chapter-10 MNIST CNN: dlbook's training path against PyTorch, float32 and bf16.

    KERAS_BACKEND=jax python3 benchmarks/gpu_throughput.py              # on a GPU machine
    KERAS_BACKEND=jax .venv/bin/python benchmarks/gpu_throughput.py --quick   # tests the script on a CPU

Prints numbers; never a pass/fail test. For each batch size (512 and 128 by
default), in the same process and on the same synthetic data (MNIST-shaped,
seeded, 60,000 images; the values do not change the arithmetic), each loop
in float32 and in bfloat16:

* ``dlbook``: :func:`dlbook.training.fit` on ``dlbook.cnn.build_mnist_cnn()``
  compiled with Adam and sparse categorical cross-entropy, no metrics,
  ``precision="float32"`` or ``"mixed_bfloat16"`` (Keras' policy: float32
  master weights and loss). Under JAX it is called with ``fast=True`` (on a
  GPU that is what the chapters get anyway; on the CPU it forces the
  compiled loop so that it is measured). The history's ``training_path`` is
  printed beside it.
* ``torch``: a plain eager PyTorch loop on ``torch.nn`` layers built to
  match the Keras model layer by layer (same parameter count, checked), the
  data already on the device, a fresh ``torch.randperm`` each epoch, the same
  batches including the last partial one, Adam, ``CrossEntropyLoss`` on the
  logits (the Keras model's softmax folded into the loss); in bf16 the
  forward pass and the loss run under ``torch.autocast(dtype=torch.bfloat16)``
  (float32 master weights, as dlbook's). TF32 allowed and
  ``cudnn.benchmark = True``: PyTorch at its fastest without code changes.
* ``torch.compile``: the same loop on ``torch.compile(net)``.
* ``model.fit`` (``--model-fit-steps``, default 100; float32 only): Keras'
  own loop on the NumPy arrays, for scale.

Each is warmed up first (one epoch: it compiles), then timed over
``--epochs`` epochs; ``img/s`` is images trained per second of wall-clock
time, device synchronized. ``TFLOP/s`` is img/s times the model's training
FLOPs per image: the forward pass counted analytically from the Conv2D and
Dense layers (2 FLOPs per multiply-add; biases, activations, pooling and
the loss ignored), times 3 for forward plus backward. The ratios compare
each loop with the eager and the compiled PyTorch loop in the same
precision. A run that does not fit in memory prints so and the rest goes
on, so ``--batch-sizes 128 512 2048 8192 32768`` finds the largest batch
that fits. ``--profile DIR`` writes a JAX profiler trace of one bf16 dlbook
epoch at the first batch size (open it in TensorBoard or Perfetto: it shows
whether kernels, launches or memory bound the step) and prints a summary of
it: each device line's busy time against the epoch's wall time, and the
busiest line's top kernels. Under JAX each dlbook
row also gives the bytes one training step moves by XLA's own count
(``cost_analysis`` of the compiled step at that batch size, optimizer
included; its FLOP count leaves out the convolutions handed to cuDNN, so
the analytic count is used), the arithmetic intensity (FLOPs per byte) and
the roofline bound it implies, ``min(peak FLOP/s, intensity x memory bandwidth)``
(``--peak-tflops`` and ``--peak-tb-s``: the H200's dense bf16 peak and HBM
bandwidth by default), beside the bandwidth the measured step time
implies: a step far under both bounds is bound by something else (kernel
launches, the step's serial dependencies). Without PyTorch the
torch lines say so and the rest still runs. ``--json PATH`` also writes the
results as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

LEARNING_RATE = 1e-3


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[512, 128])
    parser.add_argument("--images", type=int, default=60_000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    parser.add_argument("--model-fit-steps", type=int, default=100,
                        help="steps of plain model.fit to time, for scale (0: skip)")
    parser.add_argument("--unroll", type=int, default=None,
                        help="steps per scan iteration on a GPU (dlbook.training.ACCELERATOR_UNROLL)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch loops")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile loops")
    parser.add_argument("--profile", help="write a JAX profiler trace of one bf16 dlbook epoch at the first "
                        "batch size here, and print what it shows")
    parser.add_argument("--peak-tflops", type=float, default=790.0,
                        help="the chip's dense bf16 peak, for the roofline (default: an H200's, measured)")
    parser.add_argument("--peak-tb-s", type=float, default=4.8, help="the chip's memory bandwidth in TB/s")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes to test the script on a CPU: 512 images, 1 epoch, 4 model.fit steps")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.epochs, args.model_fit_steps = 512, 1, min(args.model_fit_steps, 4)
    for name in ("images", "epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive int, got {getattr(args, name)}")
    if args.peak_tflops <= 0 or args.peak_tb_s <= 0:
        parser.error("--peak-tflops and --peak-tb-s must be positive")
    if args.model_fit_steps < 0 or any(b < 1 for b in args.batch_sizes):
        parser.error("--model-fit-steps must be >= 0 and every batch size positive")
    if args.unroll is not None and args.unroll < 1:
        parser.error(f"--unroll must be a positive int, got {args.unroll}")
    return args


def synthetic_mnist(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 28, 28, 1)`` float32 images in [0, 1) and ``(n,)`` int labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, size=n)


def forward_flops(model) -> int:
    """FLOPs of one image's forward pass through ``model``'s Conv2D and Dense layers.

    Conv2D: 2 k_h k_w C_in C_out H_out W_out; Dense: 2 n_in n_out.
    """
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            k_h, k_w, c_in, c_out = layer.kernel.shape
            _, h_out, w_out, _ = layer.output.shape
            total += 2 * k_h * k_w * c_in * c_out * h_out * w_out
        elif isinstance(layer, keras.layers.Dense):
            n_in, n_out = layer.kernel.shape
            total += 2 * n_in * n_out
    return int(total)


def compiled_cnn():
    import keras

    from dlbook.cnn import build_mnist_cnn

    keras.utils.set_random_seed(0)
    model = build_mnist_cnn()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy")
    return model


def time_dlbook(x, y, batch_size: int, epochs: int, precision: str, profile: str | None = None) -> dict:
    """dlbook.training.fit in ``precision``: one warm-up epoch, then ``epochs`` timed."""
    from dlbook import backend, training

    model = compiled_cnn()
    fast = True if backend.name() == "jax" else None
    kwargs = {"batch_size": batch_size, "fast": fast, "precision": precision}
    training.fit(model, x, y, epochs=1, **kwargs)
    started = time.perf_counter()
    history = training.fit(model, x, y, epochs=epochs, **kwargs)
    seconds = time.perf_counter() - started  # the history's losses are floats: the device has finished
    if profile:
        import jax

        with jax.profiler.trace(profile):
            started = time.perf_counter()
            training.fit(model, x, y, epochs=1, **kwargs)
            traced = time.perf_counter() - started
        print_trace_summary(profile, traced, batch_size)
    row = {"img_s": epochs * len(x) / seconds, "seconds": seconds, "path": history.training_path,
           "final_loss": history.history["loss"][-1]}
    if backend.name() == "jax":
        row.update(step_cost(model, batch_size, precision))
    return row


def step_cost(model, batch_size: int, precision: str) -> dict:
    """The bytes one compiled training step of ``model`` at ``batch_size`` moves, by XLA's count.

    The step is the one :func:`dlbook.training.fit` compiles (Keras'
    ``train_step``, optimizer included), lowered for one batch. (XLA's FLOP
    count is left out: on a GPU it misses the convolutions handed to cuDNN.)
    """
    from dlbook import backend, mixed_precision

    x, y = synthetic_mnist(batch_size, seed=1)
    state = tuple([v.value for v in variables] for variables in (
        model.trainable_variables, model.non_trainable_variables, model.optimizer.variables,
        model.metrics_variables))
    with mixed_precision.training_in(model, precision):
        block = backend.compile_step_block(model.train_step, None)
        compiled = block.lower(state, (x, y), np.arange(batch_size).reshape(1, -1)).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost  # a list of one dict in older JAX
    return {"xla_bytes_per_step": float(cost.get("bytes accessed", float("nan")))}


def print_trace_summary(folder: str, wall_seconds: float, batch_size: int, top: int = 6) -> None:
    """What a JAX profiler trace of one epoch shows: for each line of each device plane (a CUDA
    stream, XLA's ops), its events and their busy time against the epoch's wall time, and the
    busiest line's top events. Busy far under wall: the device waits (launches, the host)."""
    from pathlib import Path

    from jax.profiler import ProfileData

    traces = sorted(Path(folder).rglob("*.xplane.pb"), key=lambda f: f.stat().st_mtime)
    if not traces:
        print(f"profile: no trace written in {folder}")
        return
    planes = [p for p in ProfileData.from_file(str(traces[-1])).planes if p.name.startswith("/device:")]
    print(f"profile at batch {batch_size} ({traces[-1]}): one bf16 epoch, {wall_seconds * 1e3:.1f} ms wall"
          + ("" if planes else "; no device plane (a CPU run)"))
    busiest = None
    for plane in planes:
        for line in plane.lines:
            events = list(line.events)
            busy = sum(e.duration_ns for e in events) / 1e9
            print(f"  {plane.name} / {line.name}: {len(events):,} events, busy {busy * 1e3:.1f} ms "
                  f"= {busy / wall_seconds:.0%} of wall, {busy / max(len(events), 1) * 1e6:.1f} us each")
            if busiest is None or busy > busiest[0]:
                busiest = (busy, line.name, events)
    if busiest:
        totals: dict = {}
        for event in busiest[2]:
            totals[event.name] = totals.get(event.name, 0) + event.duration_ns / 1e9
        print(f"  top events of {busiest[1]}:")
        for name, seconds in sorted(totals.items(), key=lambda item: -item[1])[:top]:
            print(f"    {seconds / busiest[0]:6.1%}  {name[:100]}")


def time_model_fit(x, y, batch_size: int, steps: int) -> dict:
    """Plain ``model.fit`` over ``steps`` batches (after a warm-up epoch over the same batches)."""
    model = compiled_cnn()
    n = min(len(x), steps * batch_size)
    model.fit(x[:n], y[:n], epochs=1, batch_size=batch_size, verbose=0)
    started = time.perf_counter()
    history = model.fit(x[:n], y[:n], epochs=1, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - started
    return {"img_s": n / seconds, "seconds": seconds, "path": "model.fit",
            "final_loss": float(history.history["loss"][-1])}


def torch_twin(model, torch):
    """``torch.nn.Sequential`` layer for layer like the Keras ``model`` (NCHW, softmax left to the loss)."""
    import keras

    nn = torch.nn
    activations = {"relu": nn.ReLU, "linear": None}
    layers = []
    last = model.layers[-1]
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            if isinstance(layer, keras.layers.Conv2D):
                k_h, k_w, c_in, c_out = layer.kernel.shape
                mapped = layer.padding == "valid" or layer.padding == "same" and layer.strides == (1, 1)
                if not mapped:
                    raise ValueError(f"{layer.name}: padding {layer.padding!r} with strides {layer.strides} "
                                     "is not mapped")
                layers.append(nn.Conv2d(c_in, c_out, (k_h, k_w), stride=layer.strides,
                                        padding="same" if layer.padding == "same" else 0))
            else:
                n_in, n_out = layer.kernel.shape
                layers.append(nn.Linear(n_in, n_out))
            activation = layer.activation.__name__
            if layer is last and activation == "softmax":
                continue  # CrossEntropyLoss applies log-softmax to the logits
            if activation not in activations:
                raise ValueError(f"{layer.name}: activation {activation!r} is not mapped")
            if activations[activation] is not None:
                layers.append(activations[activation]())
        elif isinstance(layer, keras.layers.MaxPooling2D):
            layers.append(nn.MaxPool2d(layer.pool_size, stride=layer.strides))
        elif isinstance(layer, keras.layers.Flatten):
            layers.append(nn.Flatten())
        elif isinstance(layer, keras.layers.Dropout):
            layers.append(nn.Dropout(layer.rate))
        else:
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}) has no PyTorch twin here")
    return nn.Sequential(*layers)


def time_torch(torch, model, x, y, batch_size: int, epochs: int, device: str, precision: str,
               compiled: bool) -> dict:
    """A PyTorch training loop (eager, or on ``torch.compile(net)``), data resident on ``device``."""
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(0)
    net = torch_twin(model, torch).to(device)
    n_torch = sum(p.numel() for p in net.parameters())
    if n_torch != model.count_params():
        raise ValueError(f"the PyTorch twin has {n_torch} parameters, the Keras model {model.count_params()}")
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    forward = torch.compile(net) if compiled else net
    loss_fn = torch.nn.CrossEntropyLoss()
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device)
    labels = torch.from_numpy(y).long().to(device)
    n = len(images)
    autocast = torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision != "float32")

    def epoch():
        order = torch.randperm(n, device=device)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = loss_fn(forward(images[rows]), labels[rows])
            loss.backward()
            optimizer.step()
        return loss

    def synchronize():
        if device == "cuda":
            torch.cuda.synchronize()

    net.train()
    epoch()
    synchronize()
    started = time.perf_counter()
    for _ in range(epochs):
        loss = epoch()
    synchronize()
    seconds = time.perf_counter() - started
    return {"img_s": epochs * n / seconds, "seconds": seconds,
            "path": "torch.compile" if compiled else "torch eager",
            "final_loss": float(loss.detach().float()), "params": n_torch}


def out_of_memory(error: Exception) -> bool:
    """Whether ``error`` is a device running out of memory (XLA's or PyTorch's words for it)."""
    text = f"{type(error).__name__}: {error}"
    return any(words in text for words in ("RESOURCE_EXHAUSTED", "OutOfMemory", "out of memory"))


def import_torch():
    """``(torch, device, None)``, or ``(None, None, why)`` when PyTorch cannot be used."""
    try:
        import torch
    except ImportError as error:
        return None, None, f"PyTorch is not installed here ({error})"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch, device, None


def environment(torch, device) -> dict:
    import keras

    from dlbook import backend

    info = {"python": platform.python_version(), "keras": keras.__version__,
            "keras_backend": backend.name(), "accelerator": backend.accelerator()}
    if backend.name() == "jax":
        import jax

        info.update(jax=jax.__version__, jax_device=str(jax.devices()[0]),
                    jax_default_matmul_precision=str(jax.config.jax_default_matmul_precision))
    if torch is not None:
        info.update(torch=torch.__version__, torch_device=device)
        if device == "cuda":
            info["torch_gpu"] = torch.cuda.get_device_name(0)
    return info


def run_loop(loop, precision, args, torch, device, model, x, y, batch_size) -> dict:
    """One row of the table: ``loop`` in ``precision`` ("float32" or "bf16") at ``batch_size``."""
    if loop == "dlbook":
        profile = args.profile if precision == "bf16" and batch_size == args.batch_sizes[0] else None
        return time_dlbook(x, y, batch_size, args.epochs,
                           "mixed_bfloat16" if precision == "bf16" else "float32", profile)
    if loop == "model.fit":
        return time_model_fit(x, y, batch_size, args.model_fit_steps)
    return time_torch(torch, model, x, y, batch_size, args.epochs, device, precision,
                      compiled=loop == "torch.compile")


def main(argv=None) -> int:
    args = parse_args(argv)
    from dlbook import backend, training  # after KERAS_BACKEND is set

    if args.unroll is not None:
        training.ACCELERATOR_UNROLL = args.unroll
    x, y = synthetic_mnist(args.images)
    torch, device, torch_missing = (None, None, "--no-torch") if args.no_torch else import_torch()
    info = environment(torch, device)
    model = compiled_cnn()
    flops = 3 * forward_flops(model)
    print("environment: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print(f"model: {model.name}, {model.count_params():,} parameters, "
          f"{flops / 3 / 1e6:.2f} MFLOP forward, {flops / 1e6:.2f} MFLOP per training image (x3)")
    print(f"data: {args.images:,} synthetic images, {args.epochs} timed epoch(s) after 1 warm-up; "
          f"scan unroll on an accelerator: {training.ACCELERATOR_UNROLL}")
    if backend.name() != "jax":
        print(f"note: KERAS_BACKEND is {backend.name()!r}: dlbook's path is model.fit here")
    if torch_missing:
        print(f"torch: skipped -- {torch_missing}")
    results = {"environment": info, "flops_per_training_image": flops, "images": args.images,
               "epochs": args.epochs, "torch_missing": torch_missing, "runs": []}

    print(f"{'batch':>5}  {'loop':<15} {'precision':<9} {'path':<13} {'img/s':>11} {'TFLOP/s':>8}  loss")
    loops = [("dlbook", "float32"), ("dlbook", "bf16")]
    if torch is not None:
        loops += [("torch", "float32"), ("torch", "bf16")]
        if not args.no_compile:
            loops += [("torch.compile", "float32"), ("torch.compile", "bf16")]
    if args.model_fit_steps:
        loops.append(("model.fit", "float32"))
    for batch_size in args.batch_sizes:
        rows = {}
        for loop, precision in loops:
            try:
                row = run_loop(loop, precision, args, torch, device, model, x, y, batch_size)
            except Exception as error:  # a batch too large for the device: say so, go on with the rest
                if not out_of_memory(error):
                    raise
                print(f"{batch_size:>5}  {loop:<15} {precision:<9} out of memory", flush=True)
                continue
            row.update(batch_size=batch_size, loop=loop, precision=precision,
                       tflop_s=row["img_s"] * flops / 1e12)
            rows[loop, precision] = row
            results["runs"].append(row)
            print(f"{batch_size:>5}  {loop:<15} {precision:<9} {row['path']:<13} {row['img_s']:>11,.0f} "
                  f"{row['tflop_s']:>8.3f}  {row['final_loss']:.4f}", flush=True)
            write_json(args.json, results)  # after each row: a run stopped at its time limit keeps them
        print_ratios(rows, batch_size)
        print_roofline(rows, batch_size, args, flops)
        write_json(args.json, results)
    return 0


def print_ratios(rows: dict, batch_size: int) -> None:
    """Each loop's img/s over the eager and the compiled PyTorch loop's in the same precision."""
    for (loop, precision), row in rows.items():
        ratios = []
        for reference in ("torch", "torch.compile"):
            other = rows.get((reference, precision))
            if other is not None:
                row[f"ratio_vs_{reference}"] = row["img_s"] / other["img_s"]
            ratios.append(f"{row[f'ratio_vs_{reference}']:.2f}x" if other is not None else "n/a")
        print(f"{batch_size:>5}  {loop:<15} {precision:<9} vs eager torch {ratios[0]:>6}, "
              f"vs torch.compile {ratios[1]:>6}")


def print_roofline(rows: dict, batch_size: int, args, flops_per_image: float) -> None:
    """dlbook's step on the roofline: the analytic FLOPs over the bytes XLA says the step moves.

    (XLA's own FLOP count leaves out the convolutions it hands to cuDNN on a GPU.)
    """
    for precision in ("float32", "bf16"):
        row = rows.get(("dlbook", precision))
        if row is None or "xla_bytes_per_step" not in row:
            continue
        flops, moved = flops_per_image * batch_size, row["xla_bytes_per_step"]
        intensity = flops / moved
        bound = min(args.peak_tflops, intensity * args.peak_tb_s)
        steps_s = row["img_s"] / batch_size
        row.update(intensity=intensity, roofline_tflop_s=bound, implied_tb_s=moved * steps_s / 1e12)
        print(f"{batch_size:>5}  dlbook {precision:<8} step: {flops / 1e9:.1f} GFLOP, {moved / 1e9:.3f} GB "
              f"(XLA), {intensity:.0f} FLOP/B -> roofline {bound:.0f} TFLOP/s; measured "
              f"{steps_s:,.0f} steps/s = {row['tflop_s']:.1f} TFLOP/s moving {row['implied_tb_s']:.2f} TB/s",
              flush=True)


def write_json(path: str | None, results: dict) -> None:
    if path:
        with open(path, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    sys.exit(main())
