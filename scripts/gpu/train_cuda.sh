#!/usr/bin/env bash
# Builds the training backend against a CUDA libtorch and trains briefly on
# the GPU, printing the training throughput. Usage:
#
#   [LIBTORCH=/opt/libtorch] scripts/gpu/train_cuda.sh [STEPS]
#
# LIBTORCH is an unpacked libtorch with CUDA (the cxx11 ABI zip from
# pytorch.org, or the torch/ folder of a PyTorch wheel: include/, lib/ with
# libtorch_cuda.so); unset, the torch package of python3 is used. Run from
# the repository root on a machine with an NVIDIA GPU and its driver. Where
# Go is missing, a dafscript built elsewhere (bin/dafscript, or
# DAFSCRIPT_BIN) is used: it loads the CUDA backend through
# DAFSCRIPT_TORCH_LIB.
set -euo pipefail

if [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
fi
STEPS="${1:-500000}"
OUT="${OUT:-$(mktemp -d)}"

if [ ! -e "$LIBTORCH/lib/libtorch_cuda.so" ]; then
  echo "$LIBTORCH/lib/libtorch_cuda.so is missing: this libtorch has no CUDA" >&2
  exit 1
fi

# The training backend (libdaftorch.so) against this libtorch.
# libtorch_cuda.so registers the CUDA backend from its static initialisers:
# link it even though no symbol of ours refers to it.
if command -v make >/dev/null; then
  make torch-lib LIBTORCH="$LIBTORCH" TORCH_LDFLAGS="-Wl,--no-as-needed -ltorch_cuda"
else # the Makefile's TORCH_CMD, spelt out
  ${CXX:-g++} -std=c++17 -O2 -shared -fPIC -Wl,-Bsymbolic -Wno-deprecated-declarations \
    -I"$LIBTORCH/include" -I"$LIBTORCH/include/torch/csrc/api/include" \
    -o runtime/train/torch/lib/libdaftorch.so runtime/train/torch/dt.cpp \
    -L"$LIBTORCH/lib" -Wl,-rpath,"$LIBTORCH/lib" \
    -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -ltorch_cuda -Wl,--as-needed
fi
mkdir -p bin
# The plain `make build` rebuilds the CPU library (its flags differ), so keep
# a copy: DAFSCRIPT_TORCH_LIB=bin/libdaftorch-cuda.so gives any dafscript CUDA.
cp runtime/train/torch/lib/libdaftorch.so bin/libdaftorch-cuda.so
export DAFSCRIPT_TORCH_LIB="$PWD/bin/libdaftorch-cuda.so"
if command -v go >/dev/null; then
  CGO_ENABLED=1 go build -o bin/dafscript-cuda ./cmd/dafscript
  BIN=bin/dafscript-cuda
else
  BIN="${DAFSCRIPT_BIN:-bin/dafscript}"
  [ -x "$BIN" ] || { echo "no Go here and no $BIN: build dafscript elsewhere first" >&2; exit 1; }
fi
echo "dafscript $BIN with the backend $DAFSCRIPT_TORCH_LIB (libtorch $LIBTORCH)"

# The device must be visible before we time anything.
"./$BIN" check | grep -E "libtorch|blas|device" || true

# 256 environments: a batch of 16384 agent-steps (stateless) or 65536 (lstm)
# per update, large enough to keep the GPU busy.
for policy in stateless lstm; do
  echo "== $policy on cuda, $STEPS agent-steps"
  "./$BIN" train -m training_facility_1 -p "$policy" --steps "$STEPS" --seed 1 \
    --device cuda --hp num_envs=256 --hp minibatch_size=16384 --out "$OUT" --format json |
    python3 -c 'import json, sys; r = json.load(sys.stdin); print("%s: device %s, %d steps in %.1f s = %.0f SPS, final reward %.4f" % (r["policy"], r["device"], r["training_steps"], r["wall_time_seconds"], r["steps_per_second"], r["final_reward"]))'
done

# A learning figure: the grid observation encoding with the benchmark's
# settings (vibes 16, ent_coef 0.03) on the shaped mission, against
# random's 0.051 and 0.3-0.6 with the tokens on 2 CPU cores
# (docs/training.md, "Does it learn?").
echo "== stateless, obs_grid=1 vibes=16 ent_coef=0.03, on training_facility_1:shaped, $((STEPS * 4)) agent-steps"
"./$BIN" train -m training_facility_1:shaped -p stateless --steps "$((STEPS * 4))" --seed 1 \
  --device cuda --hp obs_grid=1 --hp vibes=16 --hp ent_coef=0.03 --hp num_envs=64 --out "$OUT" --format json |
  python3 -c 'import json,sys; r=json.load(sys.stdin); c=[p for p in r["curve"] if p["episodes"]]; print("grid: %d steps in %.1f s = %.0f SPS, final reward %.4f, last hearts/episode %.2f" % (r["training_steps"], r["wall_time_seconds"], r["steps_per_second"], r["final_reward"], c[-1]["hearts"] if c else 0))'

echo "results under $OUT"
