#!/usr/bin/env bash
# The GPU check of issues 5 and 15: dlbook's Keras code under KERAS_BACKEND=jax on a lent GPU
# machine, the chapter CNN's training throughput there against PyTorch, and the full profile.
#
# The GPU machine has JAX, PyTorch and pytest but no Keras, no jupytext and no network, so Keras,
# the packages the chapters need that the machine lacks (mlxtend, keras-tuner, IPython, plotly and
# their needs) travel as wheels in .whl/, and the chapters travel as scripts in .chapters/ (README
# of the device tool). Here, once, in the repository root (the versions are the .venv's):
#
#     bash benchmarks/gpu_check.sh --prepare
#
# (adds /.whl/ and /.chapters/ to .git/info/exclude, downloads about 20 MB of wheels for CPython
# 3.12, manylinux x86-64, and converts the chapters with jupytext). Then one call of the device
# tool, from the repository root:
#
#     run(command="PHASES=127 bash benchmarks/gpu_check.sh", carry=[".whl", ".chapters"], timeout_s=440)
#
# Each phase has its own time limit (10 + 250 + 150 + 70 + 130 + 40 s, plus about 20 s of set-up):
# 680 s, over one call's 600, so run it as two calls, PHASES=127 (timeout_s=440), then at once,
# warm, PHASES=364 (timeout_s=270): with the machine's start, about 13 of the 15 minutes of device
# time. Call give_back afterwards. What it prints also lands in $OUT: check.log (everything),
# throughput.txt and .json (phase 2), sweep.txt, sweep.json and profile_small.json (phase 7),
# full_profile.json (phase 6), builders.txt (phase 4). benchmarks/results/ keeps what past runs gave.
#
# Phases, most important first: (1) environment; (2) benchmarks/gpu_throughput.py at batch 512
# and 128, float32 and bf16, against eager and compiled PyTorch, with the step's roofline;
# (7) dlbook's path alone, with a profile of one epoch at batch 128 and at 8192 (what bounds the
# step), then at batch 32768 and 65536 (the largest batch that fits); (3) tests/test_training.py
# and tests/test_mixed_precision.py (on a GPU the accelerator test checks that the compiled loop is
# the chapters' default there and matches model.fit, and bf16 agrees with float32); (6) every
# chapter in DLBOOK_PROFILE=full, all at once on the one GPU, each stopped after CHAPTER_SECONDS
# (default 110; benchmarks/full_profile.py); (4) a smoke fit through dlbook.training.fit of every
# dlbook build* function callable without arguments. Phase (5), the chapter 10-15 test files under
# JAX on the GPU, runs only when asked: PHASES=5.
#
# Locally it runs too (CPU, to test the script):
#     PYTHON=.venv/bin/python QUICK=1 DLBOOK_FAST_FIT=1 bash benchmarks/gpu_check.sh
# (QUICK=1 shrinks the benchmark to batch 128 on 512 images, the sweep to batch 256 and the
# chapters to 20 s each; DLBOOK_FAST_FIT=1 forces the compiled loop on the CPU; output in
# /tmp/gpu_check_out).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

WHEELS="keras namex optree mlxtend keras-tuner kt-legacy scikeras plotly ipython ipython-pygments-lexers jedi parso
matplotlib-inline pexpect ptyprocess prompt-toolkit wcwidth stack-data executing asttokens pure-eval traitlets"
if [ "${1:-}" = "--prepare" ]; then
    PY=${PYTHON:-.venv/bin/python}
    for folder in /.whl/ /.chapters/; do
        grep -qx "$folder" .git/info/exclude 2>/dev/null || echo "$folder" >> .git/info/exclude
    done
    mkdir -p .whl
    for package in $WHEELS; do
        version=$("$PY" -c "import importlib.metadata as m; print(m.version('$package'))") || exit 1
        python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
            -d .whl "$package==$version" || exit 1
    done
    ls -l .whl
    "$PY" benchmarks/full_profile.py --convert-only .chapters || exit 1
    exit 0
fi

OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
if compgen -G ".whl/*.whl" > /dev/null && ! "$PY" -c "import keras" 2>/dev/null; then  # the GPU machine
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false MPLBACKEND=Agg
PHASES=${PHASES:-127364}

phase() {  # phase N TITLE: print the title, and succeed if phase N is to run
    case "$PHASES" in
        *"$1"*) echo; echo "=== $1. $2 ($(date +%T))" ;;
        *) return 1 ;;
    esac
}

BUILDERS_SCRIPT=$(mktemp /tmp/dlbook_builders_XXXX.py)
cat > "$BUILDERS_SCRIPT" <<'PYTHON'
import importlib, inspect, pkgutil, time
import numpy as np
import keras
import dlbook
from dlbook import backend, training

expected = "compiled_jax" if backend.accelerator() or training.fast_fit_setting() else "model.fit"
failed = 0
for info in pkgutil.iter_modules(dlbook.__path__):
    if info.ispkg or info.name in ("cli", "__main__"):
        continue
    try:
        module = importlib.import_module(f"dlbook.{info.name}")
    except ImportError as error:  # a package the GPU machine lacks (keras_tuner, ...)
        print(f"{info.name:<16} skipped: {error}")
        continue
    for name, builder in inspect.getmembers(module, inspect.isfunction):
        label = f"{info.name}.{name}"
        if not name.startswith("build") or builder.__module__ != module.__name__:
            continue
        needed = [p.name for p in inspect.signature(builder).parameters.values()
                  if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if needed:
            print(f"{label:<40} skipped: needs {needed}")
            continue
        started = time.perf_counter()
        try:
            keras.utils.set_random_seed(0)
            model = builder()
            if not isinstance(model, keras.Model) or len(model.inputs) != 1 or len(model.outputs) != 1:
                print(f"{label:<40} skipped: not a one-input, one-output keras.Model")
                continue
            rng = np.random.default_rng(0)
            # a free (None) dimension, such as a sequence length, gets 12
            shape = (16, *(12 if d is None else d for d in model.inputs[0].shape[1:]))
            if "int" in str(model.inputs[0].dtype):
                x = rng.integers(0, 10, size=shape)
            else:
                x = rng.random(shape, dtype=np.float32)
            y = rng.random((16, *(12 if d is None else d for d in model.outputs[0].shape[1:])),
                           dtype=np.float32)
            model.compile(keras.optimizers.Adam(1e-3), "mse")
            history = training.fit(model, x, y, epochs=2, batch_size=8)
            loss = history.history["loss"]
            ok = history.training_path == expected and bool(np.all(np.isfinite(loss)))
            failed += not ok
            print(f"{label:<40} {'ok' if ok else 'FAILED'}: {history.training_path}, "
                  f"loss {loss[0]:.4g} -> {loss[-1]:.4g}, {model.count_params():,} parameters, "
                  f"{time.perf_counter() - started:.1f}s {history.fallback_reason or ''}", flush=True)
        except Exception as error:  # report it and go on to the next builder
            failed += 1
            print(f"{label:<40} FAILED: {type(error).__name__}: {str(error)[:300]}", flush=True)
print(f"builders failed: {failed}")
raise SystemExit(1 if failed else 0)
PYTHON

main() {
    local status=0
    phase 1 "environment"
    nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
    "$PY" -c "
import jax, keras, numpy
from dlbook import backend
print(f'jax {jax.__version__} on {jax.devices()}, keras {keras.__version__} ({backend.name()}), '
      f'numpy {numpy.__version__}, accelerator {backend.accelerator()}')" || return 1

    if phase 2 "throughput: dlbook.training.fit against PyTorch, float32 and bf16"; then
        local quick=()
        [ -n "${QUICK:-}" ] && quick=(--quick --batch-sizes 128)
        timeout 250 "$PY" benchmarks/gpu_throughput.py ${quick[@]+"${quick[@]}"} --json "$OUT/throughput.json" \
            | tee "$OUT/throughput.txt" || status=1
    fi

    if phase 7 "dlbook's path alone: profiles at batch 128 and 8192, larger batches, the largest that fits"; then
        local small=(--batch-sizes 128 --epochs 1) sweep=(--batch-sizes 8192 32768 65536 --images 65536 --epochs 2)
        [ -n "${QUICK:-}" ] && small=(--quick --batch-sizes 128) sweep=(--quick --batch-sizes 256)
        {
            timeout 40 "$PY" benchmarks/gpu_throughput.py --no-torch --model-fit-steps 0 "${small[@]}" \
                --profile /tmp/dlbook_trace_small --json "$OUT/profile_small.json" || status=1
            timeout 110 "$PY" benchmarks/gpu_throughput.py --no-torch --model-fit-steps 0 "${sweep[@]}" \
                --profile /tmp/dlbook_trace_large --json "$OUT/sweep.json" || status=1
        } | tee "$OUT/sweep.txt"
    fi

    if phase 3 "tests/test_training.py and tests/test_mixed_precision.py"; then
        timeout 70 "$PY" -m pytest -q -p no:cacheprovider tests/test_training.py tests/test_mixed_precision.py \
            || status=1
    fi

    if phase 6 "every chapter in the full profile, all at once on this GPU (benchmarks/full_profile.py)"; then
        local each=${CHAPTER_SECONDS:-110}
        [ -n "${QUICK:-}" ] && each=20
        DLBOOK_PROFILE=full timeout $((each + 20)) "$PY" benchmarks/full_profile.py --scripts .chapters --jobs 16 \
            --timeout "$each" --json "$OUT/full_profile.json" || status=1
    fi

    if phase 4 "smoke fit of every dlbook builder that needs no arguments"; then
        timeout 40 "$PY" "$BUILDERS_SCRIPT" | tee "$OUT/builders.txt" || status=1
    fi

    if phase 5 "the chapter 10-15 test files that exist, under JAX on the GPU"; then
        local tests=() pattern file
        for pattern in convolution cnn resnet unet segmentation rnn lstm recurrent sequences autoencoder \
                       gan generative transfer; do
            for file in tests/test_"$pattern"*.py; do
                [ -e "$file" ] && tests+=("$file")
            done
        done
        if [ ${#tests[@]} -gt 0 ]; then
            echo "${tests[*]}"
            local parallel=()  # pytest-xdist, where installed (the GPU machine has it): 4 workers
            "$PY" -c "import xdist" 2>/dev/null && parallel=(-n 4)
            timeout 70 "$PY" -m pytest -q --tb=line -p no:cacheprovider -m "not slow" \
                ${parallel[@]+"${parallel[@]}"} "${tests[@]}" || status=1
        else
            echo "none found"
        fi
    fi
    echo
    echo "=== done: status $status ($(date +%T))"
    return $status
}

main 2>&1 | tee "$OUT/check.log"
exit "${PIPESTATUS[0]}"
