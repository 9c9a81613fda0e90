#!/usr/bin/env bash
# ggufc simulate against llama.cpp's published split-mode figures (../shared/SPLIT-MODES.md §2.1, ANCHORS.md §2).
# Writes header-only models (a few MB each) with ggufc synth --header-only, runs ggufc simulate --json on each
# published row's hardware and workload, and prints a Markdown table: predicted, published, relative error.
# Usage: bench/simulate-vs-published.sh [OUT_DIR]   (default: a temporary folder, removed afterwards)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
G="$ROOT/ggufc"
if [[ $# -ge 1 ]]; then OUT="$1"; mkdir -p "$OUT"; else OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT; fi

synth() { # PRESET TYPE
    local f="$OUT/$1-$2.gguf"
    [[ -f "$f" ]] || "$G" synth --header-only --preset "$1" --type "$2" -o "$f" 2>/dev/null
    echo "$f"
}

declare -A CACHE
# sim MODEL DEVICES PP TG DEPTH [more simulate args]: the --json output, cached per argument list
sim() {
    local key="$*"
    if [[ -z "${CACHE[$key]:-}" ]]; then
        CACHE[$key]="$("$G" simulate --model "$1" --devices "$2" --pp "$3" --tg "$4" --depth "$5" "${@:6}" --json)"
    fi
    printf '%s\n' "${CACHE[$key]}"
}

# pick JSON MODE FIELD
pick() { printf '%s\n' "$1" | grep "\"mode\": \"$2\"" | sed -E "s/.*\"$3\": ([0-9.]+|null).*/\1/"; }

row() { # LABEL PREDICTED PUBLISHED
    awk -v l="$1" -v p="$2" -v q="$3" 'BEGIN {
        if (p == "null" || p == "") { printf "| %s | – | %s | – |\n", l, q; exit }
        printf "| %s | %.1f | %s | %+.0f %% |\n", l, p, q, (p - q) / q * 100 }'
}

echo "| row (source; hardware; model; test) | predicted | published | error |"
echo "|---|---|---|---|"

# PR #19378: llama 1B F16 on 4x RTX 4090 (PCIe; stock driver assumed: P2P off). layer pp512 is the calibration row.
L1=$(synth llama-3.2-1b F16)
j=$(sim "$L1" 4xrtx4090 512 128 0)
row "#19378 4×4090 llama 1B F16 layer pp512 (calibration)" "$(pick "$j" layer prompt_tps)" 44766.52
row "#19378 4×4090 llama 1B F16 tensor pp512" "$(pick "$j" tensor prompt_tps)" 18753.39
row "#19378 4×4090 llama 1B F16 layer tg128" "$(pick "$j" layer decode_tps)" 314.75
row "#19378 4×4090 llama 1B F16 tensor tg128" "$(pick "$j" tensor decode_tps)" 409.87
j=$(sim "$L1" 4xrtx4090 8192 128 0 -sm layer)
row "#19378 4×4090 llama 1B F16 layer pp8192" "$(pick "$j" layer prompt_tps)" 50398.93
j=$(sim "$L1" 4xrtx4090 8192 128 0 -sm tensor)
row "#19378 4×4090 llama 1B F16 tensor pp8192" "$(pick "$j" tensor prompt_tps)" 17823.13

# PR #19378's other table ("likely 2 GPUs"): assumed 2x RTX 4090
gemma() { # PRESET TYPE LABEL  then published: pp512 L T, pp2048 L T, tg128 L T, and the same @d65536
    local m; m=$(synth "$1" "$2")
    local -a v=("${@:4}")
    local i=0 d
    for d in 0 65536; do
        local at=""; [[ $d -gt 0 ]] && at=" @d65536"
        local a b
        a=$(sim "$m" 2xrtx4090 512 128 $d -sm layer); b=$(sim "$m" 2xrtx4090 512 128 $d -sm tensor)
        row "#19378 2×4090? $3 layer pp512$at" "$(pick "$a" layer prompt_tps)" "${v[$i]}"
        row "#19378 2×4090? $3 tensor pp512$at" "$(pick "$b" tensor prompt_tps)" "${v[$((i + 1))]}"
        local a2 b2
        a2=$(sim "$m" 2xrtx4090 2048 128 $d -sm layer); b2=$(sim "$m" 2xrtx4090 2048 128 $d -sm tensor)
        row "#19378 2×4090? $3 layer pp2048$at" "$(pick "$a2" layer prompt_tps)" "${v[$((i + 2))]}"
        row "#19378 2×4090? $3 tensor pp2048$at" "$(pick "$b2" tensor prompt_tps)" "${v[$((i + 3))]}"
        row "#19378 2×4090? $3 layer tg128$at" "$(pick "$a" layer decode_tps)" "${v[$((i + 4))]}"
        row "#19378 2×4090? $3 tensor tg128$at" "$(pick "$b" tensor decode_tps)" "${v[$((i + 5))]}"
        i=$((i + 6))
    done
}
gemma gemma4-26b-a4b Q4_0 "gemma4 26B-A4B Q4_0" 8682.29 3428.43 12917.31 3245.69 197.11 138.76  3892.61 2507.52 6714.55 2575.19 146.11 118.64
gemma gemma4-31b Q4_K_M "gemma4 31B Q4_K_M" 2998.02 2846.09 4475.39 2725.37 43.81 59.45  1308.09 1706.04 2100.01 1760.90 34.03 48.80

# ik_llama.cpp #1106 (ANCHORS §2): Qwen3-14B on 2x RTX 3090, 40k context: graph vs layer +77 % PP, +53 % TG (ratios);
# quant not given: Q4_K_M assumed
Q14=$(synth qwen3-14b Q4_K_M)
j=$(sim "$Q14" 2xrtx3090 512 128 40960)
awk -v gp="$(pick "$j" graph prompt_tps)" -v lp="$(pick "$j" layer prompt_tps)" -v gd="$(pick "$j" graph decode_tps)" -v ld="$(pick "$j" layer decode_tps)" 'BEGIN {
    printf "| ik #1106 2×3090 Qwen3-14B @40k graph/layer PP ratio | %.2f | 1.77 | %+.0f %% |\n", gp / lp, (gp / lp - 1.77) / 1.77 * 100
    printf "| ik #1106 2×3090 Qwen3-14B @40k graph/layer TG ratio | %.2f | 1.53 | %+.0f %% |\n", gd / ld, (gd / ld - 1.53) / 1.53 * 100 }'

# layer mode with --pipeline (llama.cpp's pipeline parallelism: the micro-batches of one 2048-token batch overlap)
row "#19378 4×4090 llama 1B F16 layer pp8192 --pipeline" "$(pick "$(sim "$L1" 4xrtx4090 8192 128 0 -sm layer --pipeline)" layer prompt_tps)" 50398.93
G26=$(synth gemma4-26b-a4b Q4_0); G31=$(synth gemma4-31b Q4_K_M)
row "#19378 2×4090? gemma4 26B-A4B Q4_0 layer pp2048 --pipeline" "$(pick "$(sim "$G26" 2xrtx4090 2048 128 0 -sm layer --pipeline)" layer prompt_tps)" 12917.31
row "#19378 2×4090? gemma4 26B-A4B Q4_0 layer pp2048 @d65536 --pipeline" "$(pick "$(sim "$G26" 2xrtx4090 2048 128 65536 -sm layer --pipeline)" layer prompt_tps)" 6714.55
row "#19378 2×4090? gemma4 31B Q4_K_M layer pp2048 --pipeline" "$(pick "$(sim "$G31" 2xrtx4090 2048 128 0 -sm layer --pipeline)" layer prompt_tps)" 4475.39
row "#19378 2×4090? gemma4 31B Q4_K_M layer pp2048 @d65536 --pipeline" "$(pick "$(sim "$G31" 2xrtx4090 2048 128 65536 -sm layer --pipeline)" layer prompt_tps)" 2100.01

# llama.cpp #4747 (old row mode, 2024): 7B Q4_K_M tg: 1x A100 72 t/s, 4x A100 PCIe (row) 31, 8x H100 NVLink (row) 21
L7=$(synth llama-2-7b Q4_K_M)
row "#4747 1×A100 7B Q4_K_M tg (none)" "$(pick "$(sim "$L7" 1xa100-80g 512 128 0 -sm none)" none decode_tps)" 72
row "#4747 4×A100 PCIe 7B Q4_K_M tg (row)" "$(pick "$(sim "$L7" 4xa100-80g 512 128 0 -sm row --link pcie4)" row decode_tps)" 31
row "#4747 8×H100 NVLink 7B Q4_K_M tg (row)" "$(pick "$(sim "$L7" 8xh100-sxm 512 128 0 -sm row --link nvlink4)" row decode_tps)" 21
