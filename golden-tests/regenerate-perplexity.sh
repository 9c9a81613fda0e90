#!/usr/bin/env bash
# Regenerates the llama-perplexity goldens under src/test/resources/golden/perplexity (PerplexityTest) from the
# llama.cpp reference (../shared/reference; its install.sh runs on first use). Run from anywhere; commit the result.
# Needs models/stories260K-Q8_0.gguf (regenerate.sh makes it). Numerics as logits.sh: f32 KV cache, flash attention
# off, 1 thread. The text, perplexity/story.txt, is hand-written (TinyStories-like, 2107 tokens with BOS: 16 chunks of 128).
#   stories260K.c128.txt, stories260K-Q8_0.c128.txt   llama-perplexity -c 128 on the whole text: its [1]..,[16].. line and
#                                                      its "Final estimate" line
#   stories260K.c128x4.kld                            llama-perplexity --save-all-logits, F32, -c 128 --chunks 4
#   stories260K{,-Q8_0}-vs-f32.c128x4.txt              llama-perplexity --kl-divergence against that file (its stdout)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REF="${REF:-$HERE/../../shared/reference}"
MODELS="${GGUFC_MODELS:-$HERE/../../shared/models}"
G="$HERE/src/test/resources/golden"
OUT="$G/perplexity"
source "$REF/_env.sh"   # REF_BIN (installs the reference if needed)
PPL=("$REF_BIN/llama-perplexity" -t 1 -ctk f32 -ctv f32 -fa off -c 128)
F32="$MODELS/stories260K.gguf"
Q8="$G/models/stories260K-Q8_0.gguf"
ppl() {  # $1 = model, $2 = output file
    local err; err="$(mktemp)"
    local i
    for i in 1 2 3 4 5; do  # retried as kld() below
        "${PPL[@]}" -m "$1" -f "$OUT/story.txt" 2> "$err" | grep -a '^\[1\]' > "$2" || true
        grep -a -o 'Final estimate: .*' "$err" >> "$2" || true
        grep -q '^\[1\].*,\[16\][0-9.]*,$' "$2" && grep -q '^Final estimate' "$2" && break
    done
    rm -f "$err"
}
ppl "$F32" "$OUT/stories260K.c128.txt"
ppl "$Q8" "$OUT/stories260K-Q8_0.c128.txt"
"${PPL[@]}" -m "$F32" -f "$OUT/story.txt" --chunks 4 --save-all-logits "$OUT/stories260K.c128x4.kld" > /dev/null 2>&1
kld() {  # $1 = model, $2 = output file; llama.cpp logs from a worker thread and may exit before its last lines are out: retried
    local i
    for i in 1 2 3 4 5; do
        "${PPL[@]}" -m "$1" --kl-divergence-base "$OUT/stories260K.c128x4.kld" --kl-divergence 2> /dev/null > "$2"
        grep -q 'Same top p:' "$2" && return 0
    done
    echo "llama-perplexity --kl-divergence never printed its whole report ($2)" >&2; return 1
}
kld "$F32" "$OUT/stories260K-vs-f32.c128x4.txt"
kld "$Q8" "$OUT/stories260K-Q8_0-vs-f32.c128x4.txt"
echo "perplexity goldens written to $OUT"
