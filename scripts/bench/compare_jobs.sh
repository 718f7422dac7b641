#!/usr/bin/env bash
# End-to-end speed of `dafscript compare` at 1 and 2 jobs: {random, noop,
# baseline} x {training_facility_1, training_facility.harvest,
# evals.extractor_hub_30x30} x EPISODES episodes (default 100). Prints
# episodes/s at each job count, the speed-up of 2 jobs over 1 measured in
# the same run, and checks that both wrote the same comparison.
#
#   make build && scripts/bench/compare_jobs.sh [EPISODES] [REPEATS]
set -euo pipefail
shopt -s inherit_errexit

bin=${DAFSCRIPT:-bin/dafscript}
episodes=${1:-100}
repeats=${2:-3}
[ -x "$bin" ] || { echo "compare_jobs.sh: $bin not built (run: make build)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total=$((3 * 3 * episodes))

run() { # run JOBS REPEAT: prints the wall seconds
  local out="$tmp/jobs$1_$2" start end
  start=$(date +%s.%N)
  "$bin" compare -m training_facility_1,training_facility.harvest,evals.extractor_hub_30x30 \
    -p random,noop,baseline -e "$episodes" --seed 1 --jobs "$1" --format json --out "$out" >"$out.json" 2>"$out.log" ||
    { cat "$out.log" >&2; return 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

echo "compare: 3 policies x 3 missions x $episodes episodes = $total episodes, $repeats repeats"
for r in $(seq 1 "$repeats"); do
  t1=$(run 1 "$r")
  t2=$(run 2 "$r")
  cmp -s "$tmp/jobs1_$r.json" "$tmp/jobs2_$r.json" || { echo "jobs 1 and 2 wrote different comparisons" >&2; exit 1; }
  awk -v r="$r" -v n="$total" -v t1="$t1" -v t2="$t2" \
    'BEGIN { printf "repeat %d: 1 job %6.1f episodes/s, 2 jobs %6.1f episodes/s, speed-up %.2fx\n", r, n / t1, n / t2, t1 / t2 }'
done
