#!/usr/bin/env bash
# Long learning runs on a GPU machine, looking for the first hearts: two
# trainings at once on one GPU, then 20 evaluation episodes of each final
# checkpoint (hearts made and deposited). Usage, from the repository root:
#
#   [LIBTORCH=DIR] [OUT=DIR] [MINUTES=5] scripts/gpu/learn_hearts.sh
#
#   A  training_facility_1:easy+heart_chorus (a heart costs one of each
#      resource), tokens, vibes 16, ent_coef 0.03, 2 epochs per batch
#   B  training_facility_1:shaped (the real recipe), the grid encoding,
#      vibes 16, ent_coef 0.03
#
# Like train_cuda.sh it builds the training backend against the CUDA
# libtorch of python3's torch (or LIBTORCH) and runs a dafscript built
# elsewhere (bin/dafscript, or DAFSCRIPT_BIN) when Go is missing. Each
# training stops after MINUTES minutes at the latest; checkpoints every
# 5,000,000 agent-steps keep what it reached.
set -euo pipefail

if [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
fi
OUT="${OUT:-$(mktemp -d)}"
MINUTES="${MINUTES:-5}"
mkdir -p bin "$OUT"

# The backend without data-parallel training (no Gloo needed here).
${CXX:-g++} -std=c++17 -O2 -shared -fPIC -Wl,-Bsymbolic -Wno-deprecated-declarations \
  -I"$LIBTORCH/include" -I"$LIBTORCH/include/torch/csrc/api/include" \
  -o bin/libdaftorch-cuda.so runtime/train/torch/dt.cpp runtime/train/torch/dtdist.cpp \
  -L"$LIBTORCH/lib" -Wl,-rpath,"$LIBTORCH/lib" \
  -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -ltorch_cuda -Wl,--as-needed
export DAFSCRIPT_TORCH_LIB="$PWD/bin/libdaftorch-cuda.so"
if command -v go >/dev/null; then
  CGO_ENABLED=1 go build -o bin/dafscript-cuda ./cmd/dafscript
  BIN=bin/dafscript-cuda
else
  BIN="${DAFSCRIPT_BIN:-bin/dafscript}"
fi

common=(-p stateless --seed 1 --device cuda --hp num_envs=256 --hp minibatch_size=16384
  --hp vibes=16 --hp ent_coef=0.03 --checkpoint-every 5000000 --format json)
run() { # name mission steps hp...
  local name=$1 mission=$2 steps=$3
  shift 3
  timeout "$((MINUTES * 60))" "./$BIN" train -m "$mission" --steps "$steps" "${common[@]}" "$@" \
    --out "$OUT/$name" >"$OUT/$name.json" 2>"$OUT/$name.err" || echo "$name: exit $? (a timeout keeps its checkpoints)"
}
run A training_facility_1:easy+heart_chorus 100000000 --hp update_epochs=2 &
run B training_facility_1:shaped 40000000 --hp obs_grid=1 &
wait

for name in A B; do
  mission=training_facility_1:easy+heart_chorus
  [ "$name" = B ] && mission=training_facility_1:shaped
  session=$(ls -d "$OUT/$name"/training/*/ | tail -1)
  cp "$session/metrics.jsonl" "$OUT/$name.metrics.jsonl"
  ckpt=$(ls -d "$session"checkpoints/*/ | sort | tail -1)
  echo "== $name: $mission, last checkpoint $(basename "$ckpt")"
  "./$BIN" eval -m "$mission" -p "stateless:$ckpt" -p random -e 20 --seed 9 --out "$OUT/eval_$name" | tail -6
done
echo "results under $OUT"
