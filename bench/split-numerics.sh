#!/usr/bin/env bash
# Split numerics, ours beside llama.cpp's own: KL-divergence of split runs against the unsplit run on the same file
# and text (golden perplexity story, ctx 128), as SPLIT-MODES.md measured llama.cpp's. For each model: our unsplit base
# (ggufc perplexity --save-all-logits), then ggufc perplexity --kl-divergence with -sm layer/tensor/graph over
# cpu:0,cpu:1 (-ts 1,1 and 3,1) and graph with every --reduce-type; then llama.cpp: one RPC device as the base,
# -sm tensor -ts 1,1 and 3,1 over two RPC devices (-fa on, as tensor mode needs; the base too).
# Prints one line per run: model, who, mode, ts, reduce type, PPL, mean KLD, max KLD, same top-1.
# usage: bench/split-numerics.sh [MODEL.gguf ...]   (default: stories260K F32 and Q8_0, synth llama-125m Q8_0 and Q4_K)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="$ROOT/../shared/reference"
source "$REF/_env.sh"
TEXT="$ROOT/golden-tests/src/test/resources/golden/perplexity/story.txt"
W="${TMPDIR:-/tmp}/ggufc-split-numerics"
mkdir -p "$W"
MODELS=("$@")
if ((${#MODELS[@]} == 0)); then
    M="${GGUFC_BENCH_MODELS:-$HOME/.cache/ggufc-bench}"
    mkdir -p "$M"
    for t in Q8_0 Q4_K; do [[ -f "$M/llama-125m-$t.gguf" ]] || "$ROOT/ggufc" synth --preset llama-125m --type "$t" -o "$M/llama-125m-$t.gguf" >&2; done
    MODELS=("$ROOT/../shared/models/stories260K.gguf" "$ROOT/golden-tests/src/test/resources/golden/models/stories260K-Q8_0.gguf" "$M/llama-125m-Q8_0.gguf" "$M/llama-125m-Q4_K.gguf")
fi
stats() {  # parses a --kl-divergence report: PPL change, mean KLD, max KLD, same top p
    awk '/^Mean PPL\(Q\)\/PPL\(base\)/ {r=$(NF-2)} /^Mean    KLD:/ {kld=$3} /^Maximum KLD:/ {mx=$3} /^Same top p:/ {top=$4} END {printf "PPL %+.3f %%  mean KLD %s  max KLD %s  same top-1 %s %%\n", (r - 1) * 100, kld, mx, top}' "$1"
}
printf '%-24s %-9s %-7s %-4s %-6s %s\n' model who mode ts reduce result
for m in "${MODELS[@]}"; do
    name="$(basename "$m" .gguf)"
    base="$W/$name.ggufc.kld"
    "$ROOT/ggufc" perplexity -m "$m" -f "$TEXT" -c 128 -t 2 --save-all-logits "$base" >/dev/null 2>&1
    run() {  # mode ts reduce
        out="$W/$name.$1.$2.$3.txt"
        "$ROOT/ggufc" perplexity -m "$m" -c 128 -t 2 -sm "$1" --device cpu:0,cpu:1 -ts "$2" --reduce-type "$3" --kl-divergence-base "$base" --kl-divergence >"$out" 2>&1 \
            && printf '%-24s %-9s %-7s %-4s %-6s %s\n' "$name" ggufc "$1" "$2" "$3" "$(stats "$out")" \
            || printf '%-24s %-9s %-7s %-4s %-6s %s\n' "$name" ggufc "$1" "$2" "$3" "failed: $(tail -1 "$out")"
    }
    for mode in layer tensor graph; do for ts in 1,1 3,1; do run "$mode" "$ts" f32; done; done
    for red in bf16 f16 q8_0; do run graph 1,1 "$red"; done
    # llama.cpp: base on one RPC device, tensor mode over two (flash attention on for both)
    EP="$("$REF/rpc.sh" start 2 50172)"
    trap '"$REF/rpc.sh" stop 50172 >/dev/null 2>&1 || true' EXIT
    lbase="$W/$name.llama.kld"
    "$REF_BIN/llama-perplexity" -m "$m" -f "$TEXT" -c 128 -t 1 -ngl 99 --rpc "${EP%%,*}" -sm none -fa on -ctk f32 -ctv f32 --kl-divergence-base "$lbase" >/dev/null 2>&1 || true
    for ts in 1,1 3,1; do
        out="$W/$name.llama.tensor.$ts.txt"
        "$REF_BIN/llama-perplexity" -m "$m" -c 128 -t 1 -ngl 99 --rpc "$EP" -sm tensor -ts "$ts" -fa on -ctk f32 -ctv f32 --kl-divergence-base "$lbase" --kl-divergence >"$out" 2>&1 \
            && printf '%-24s %-9s %-7s %-4s %-6s %s\n' "$name" llama.cpp tensor "$ts" f32 "$(stats "$out")" \
            || printf '%-24s %-9s %-7s %-4s %-6s %s\n' "$name" llama.cpp tensor "$ts" - "failed: $(grep -a -m1 -E 'error|failed' "$out" || tail -1 "$out")"
    done
    "$REF/rpc.sh" stop 50172 >/dev/null 2>&1 || true
    trap - EXIT
done
