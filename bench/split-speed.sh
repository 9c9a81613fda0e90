#!/usr/bin/env bash
# Split speed on this machine (issue #10 item 7), as a user sees it: fresh `ggufc run --timings` processes,
# alternating, medians. Decode: tensor and graph split over cpu:0,cpu:1 (one thread each) against one device with
# 2 threads (8-token prompt, -n N). Prompt: layer split over cpu:0,cpu:1, pipelined in micro-batches, against one
# device with 2 threads (a ~157-token prompt). Prints every run and the median ratios.
# usage: bench/split-speed.sh [MODEL=llama-1b Q8_0 (written by ggufc synth once)] [RUNS=3] [N=96]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="${1:-${GGUFC_BENCH_MODELS:-$HOME/.cache/ggufc-bench}/llama-1b-Q8_0.gguf}"
RUNS="${2:-3}" N="${3:-96}"
[[ -f "$M" ]] || "$ROOT/ggufc" synth --preset llama-1b --type Q8_0 -o "$M" >&2
P8="Once upon a time there was a"
PL="$(for i in $(seq 12); do printf 'the little dog ran to the park and played with a red ball '; done)"
rate() { sed -nE "s/.*$1 [0-9]+ tok ([0-9.]+) tok\/s.*/\1/p" | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A dec pro
for ((r = 1; r <= RUNS; r++)); do
    for mode in none tensor graph; do
        v="$("$ROOT/ggufc" run -m "$M" -p "$P8" -n "$N" --temp 0 --ignore-eos -t 2 -sm "$mode" --device cpu:0,cpu:1 --timings 2>&1 | rate decode)"
        dec[$mode]+="$v "; echo "run $r decode $mode: $v tok/s"
    done
    for mode in none layer; do
        v="$("$ROOT/ggufc" run -m "$M" -p "$PL" -n 2 --temp 0 -t 2 -sm "$mode" --device cpu:0,cpu:1 --timings 2>&1 | rate prompt)"
        pro[$mode]+="$v "; echo "run $r prompt $mode: $v tok/s"
    done
done
m() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo "model $(basename "$M"), $(date -u +%F), $(nproc) vCPU, medians of $RUNS:"
for mode in tensor graph; do
    echo "decode $mode over cpu:0,cpu:1: $(m "${dec[$mode]}") tok/s vs one device, 2 threads: $(m "${dec[none]}") tok/s = $(awk -v a="$(m "${dec[$mode]}")" -v b="$(m "${dec[none]}")" 'BEGIN {printf "%.2fx", a / b}')"
done
echo "prompt layer (pipelined) over cpu:0,cpu:1: $(m "${pro[layer]}") tok/s vs one device, 2 threads: $(m "${pro[none]}") tok/s = $(awk -v a="$(m "${pro[layer]}")" -v b="$(m "${pro[none]}")" 'BEGIN {printf "%.2fx", a / b}')"
