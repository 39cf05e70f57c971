#!/usr/bin/env bash
# Writes the "shift" task: four letters in, each letter's successor out (z wraps to a), e.g.
#   {"prompt": "shift: c a t s =", "completion": " d b u t"}
# A random-weight model cannot do it; a tiny one learns it in minutes (the answer letter k is always the same
# number of tokens back from where it is predicted, so one attention head and a 26-entry mapping suffice).
# Deterministic (Park-Miller generator, seed fixed) and held out: no test word appears in the training file.
# usage: scripts/make-shift-task.sh [OUT_DIR] [TRAIN_N] [TEST_N] [SEED]
set -euo pipefail
out=${1:-train/src/main/resources/dev/slmops/train/data/samples}
train_n=${2:-2000}
test_n=${3:-200}
seed=${4:-20261126}
mkdir -p "$out"
tmp_train=$(mktemp "$out/.shift-train.XXXXXX")
tmp_test=$(mktemp "$out/.shift-test.XXXXXX")
trap 'rm -f "$tmp_train" "$tmp_test"' EXIT
awk -v seed="$seed" -v train_n="$train_n" -v test_n="$test_n" -v train="$tmp_train" -v test="$tmp_test" '
  # Park-Miller minimal standard: x <- 16807 x mod (2^31 - 1); products stay below 2^46, exact in awk doubles
  function next_random() { state = (16807 * state) % 2147483647; return state }
  BEGIN {
    letters = "abcdefghijklmnopqrstuvwxyz"
    state = seed % 2147483646 + 1
    written = 0
    while (written < test_n + train_n) {
      q = ""; a = ""; key = ""
      for (k = 0; k < 4; k++) {
        i = next_random() % 26
        c = substr(letters, i + 1, 1)
        s = substr(letters, (i + 1) % 26 + 1, 1)
        q = q c " "; a = a " " s; key = key c
      }
      if (key in seen) continue
      seen[key] = 1
      line = sprintf("{\"prompt\": \"shift: %s=\", \"completion\": \"%s\"}", q, a)
      print line > (written < test_n ? test : train)
      written++
    }
  }'
mv "$tmp_train" "$out/shift-train.jsonl"
mv "$tmp_test" "$out/shift-test.jsonl"
trap - EXIT
echo "wrote $out/shift-train.jsonl ($train_n) and $out/shift-test.jsonl ($test_n)"
