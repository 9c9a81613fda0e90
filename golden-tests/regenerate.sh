#!/usr/bin/env bash
# Regenerates the llama.cpp goldens under src/test/resources/golden from ../shared/reference
# (a real llama.cpp; its install.sh runs on first use). Run from anywhere; commit the result.
#   models/   stories260K quantized by llama-quantize to Q8_0, Q4_0, Q5_0, F16, and "mixed": Q8_0 with
#             attn_q and ffn_gate kept F32 and attn_v Q4_0 (q/k/v and gate/up of different types)
#   <model>/<prompt>.logits.bin   token ids + full-vocab logits at every prompt position
#                                 (refllama logits: f32 KV cache, flash attention off)
#   <model>/<prompt>.greedy.json  greedy 64-token continuation (ids + text), EOS ignored
#   prompts.txt                   the prompts, one per line (line number = prompt id)
#   perplexity/                   llama-perplexity goldens (regenerate-perplexity.sh, run last)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REF="${REF:-$HERE/../../shared/reference}"
MODELS="${GGUFC_MODELS:-$HERE/../../shared/models}"
OUT="$HERE/src/test/resources/golden"
mkdir -p "$OUT/models"
cat > "$OUT/prompts.txt" <<'P'
Once upon a time
Lily and Tom went to the park
The cat sat on the mat.
Hello
One day, a little boy named Tim found a big red ball in the garden. He
P
for T in Q8_0 Q4_0 Q5_0 F16; do
    "$REF/quantize.sh" "$MODELS/stories260K.gguf" "$OUT/models/stories260K-$T.gguf" "$T" > "$OUT/models/stories260K-$T.types.txt"
done
"$REF/quantize.sh" "$MODELS/stories260K.gguf" "$OUT/models/stories260K-mixed.gguf" Q8_0 --pure --tensor-type ffn_gate=f32 --tensor-type attn_q=f32 --tensor-type attn_v=q4_0 \
    > "$OUT/models/stories260K-mixed.types.txt"
gen() {  # $1 = model file, $2 = golden folder name
    local dir="$OUT/$2"; mkdir -p "$dir"
    local i=0
    while IFS= read -r prompt; do
        i=$((i + 1))
        "$REF/logits.sh" "$1" "$dir/p$i.logits.bin" "$prompt" > /dev/null
        "$REF/generate.sh" "$1" "$prompt" 64 --ignore-eos --json "$dir/p$i.greedy.json" > /dev/null 2>&1
    done < "$OUT/prompts.txt"
}
gen "$MODELS/stories260K.gguf" stories260K
for T in Q8_0 Q4_0 Q5_0 F16 mixed; do gen "$OUT/models/stories260K-$T.gguf" "stories260K-$T"; done
# the 32-token greedy text of the README's main command, exactly as llama.cpp prints it
"$REF/generate.sh" "$MODELS/stories260K.gguf" "Once upon a time" 32 > "$OUT/stories260K/readme-greedy-32.txt" 2>/dev/null
# llama-perplexity's figures and base-logits file (PerplexityTest)
"$HERE/regenerate-perplexity.sh"
echo "goldens written to $OUT"
