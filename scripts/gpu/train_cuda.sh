#!/usr/bin/env bash
# Builds dafscript against a CUDA libtorch and trains briefly on the GPU,
# printing the training throughput. Usage:
#
#   LIBTORCH=/opt/libtorch scripts/gpu/train_cuda.sh [STEPS]
#
# LIBTORCH is an unpacked libtorch with CUDA (the cxx11 ABI zip from
# pytorch.org: include/, lib/ with libtorch_cuda.so). Run from the
# repository root on a machine with an NVIDIA GPU and its driver.
set -euo pipefail

: "${LIBTORCH:?set LIBTORCH to a CUDA libtorch directory (with include/ and lib/)}"
STEPS="${1:-500000}"
OUT="${OUT:-$(mktemp -d)}"

if [ ! -e "$LIBTORCH/lib/libtorch_cuda.so" ]; then
  echo "$LIBTORCH/lib/libtorch_cuda.so is missing: this libtorch has no CUDA" >&2
  exit 1
fi

# The training backend (libdaftorch.so, embedded in the binary) against this
# libtorch. libtorch_cuda.so registers the CUDA backend from its static
# initialisers: link it even though no symbol of ours refers to it.
make torch-lib LIBTORCH="$LIBTORCH" TORCH_LDFLAGS="-Wl,--no-as-needed -ltorch_cuda"
CGO_ENABLED=1 go build -o bin/dafscript-cuda ./cmd/dafscript
echo "built bin/dafscript-cuda against $LIBTORCH"
# The plain `make build` rebuilds the CPU library (its flags differ), so keep
# a copy: DAFSCRIPT_TORCH_LIB=bin/libdaftorch-cuda.so gives any dafscript CUDA.
cp runtime/train/torch/lib/libdaftorch.so bin/libdaftorch-cuda.so

# The device must be visible before we time anything.
./bin/dafscript-cuda check | grep -E "libtorch|blas|device" || true

for policy in stateless lstm; do
  echo "== $policy on cuda, $STEPS agent-steps"
  ./bin/dafscript-cuda train -m training_facility_1 -p "$policy" --steps "$STEPS" --seed 1 \
    --device cuda --hp num_envs=64 --hp minibatch_size=16384 --out "$OUT" --format json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%s: device %s, %d steps in %.1f s = %.0f SPS, final reward %.4f" % (r["policy"], r["device"], r["training_steps"], r["wall_time_seconds"], r["steps_per_second"], r["final_reward"]))'
done

# A learning figure: the grid observation encoding with the benchmark's
# settings (vibes 16, ent_coef 0.03) on the shaped mission, against
# random's 0.051 and 0.3-0.6 with the tokens on 2 CPU cores
# (docs/training.md, "Does it learn?").
echo "== stateless, obs_grid=1 vibes=16 ent_coef=0.03, on training_facility_1:shaped, $((STEPS * 4)) agent-steps"
./bin/dafscript-cuda train -m training_facility_1:shaped -p stateless --steps "$((STEPS * 4))" --seed 1 \
  --device cuda --hp obs_grid=1 --hp vibes=16 --hp ent_coef=0.03 --hp num_envs=64 --out "$OUT" --format json |
  python3 -c 'import json,sys; r=json.load(sys.stdin); c=[p for p in r["curve"] if p["episodes"]]; print("grid: %d steps in %.1f s = %.0f SPS, final reward %.4f, last hearts/episode %.2f" % (r["training_steps"], r["wall_time_seconds"], r["steps_per_second"], r["final_reward"], c[-1]["hearts"] if c else 0))'

echo "results under $OUT"
