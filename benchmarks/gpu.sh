#!/usr/bin/env bash
# The GPU figures in one pass (BENCHMARKS.md, "GPU"), about 8 minutes, for a machine with
# JAX and PyTorch but no Keras. Keras travels as wheels in .whl/, fetched beforehand with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 -d .whl keras==3.15.1 namex optree
# Each step is bounded so that one that hangs or fails leaves the others their time;
# every output goes to $OUT (or ./gpu-out).
OUT=${OUT:-gpu-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
step() {  # step NAME SECONDS COMMAND...: one bounded measurement, its output kept
    local name=$1 limit=$2; shift 2
    echo "== $name ($(date +%T))"
    timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1; echo "rc=$? $name"; tail -n 2 "$OUT/$name.txt"
}
nvidia-smi -L
step smoke 60 env KERAS_BACKEND=jax python3 -c "import keras, jax, torch; print(keras.__version__, jax.devices(), torch.cuda.get_device_name())"
step gpt_throughput 170 python3 benchmarks/gpt_throughput.py --backends jax,torch --rounds 2 --steps 50
step grid_jax 120 python3 benchmarks/grid_estimate.py --backend jax
step grid_torch 100 python3 benchmarks/grid_estimate.py --backend torch
step gpt_run_jax 70 env KERAS_BACKEND=jax python3 train.py --dataset text --model gpt \
    --optimizer adamw --steps 300 --history /tmp/gpt.pickle --report "$OUT/gpt_report.txt"
step grid_jax_bf16 60 python3 benchmarks/grid_estimate.py --backend jax --mixed-precision \
    --models minivggnet,resnet
