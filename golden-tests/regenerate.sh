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
#   <arch>-tiny[-Q8_0|-Q4_0]/     synthetic qwen2/qwen3/qwen3moe/phi3/gemma2/gemma3/gemma4 models (see the end of this script):
#                                 prompts 1, 2 and 4 (gemma*: 1, 2 and 5, longer than their 4-key
#                                 sliding window), greedy-32.txt, model.sha256, types.txt
# ARCH_ONLY="gemma3" (or "gemma2", or several) regenerates just those synthetic models' goldens (prompts.txt must exist).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REF="${REF:-$HERE/../../shared/reference}"
MODELS="${GGUFC_MODELS:-$HERE/../../shared/models}"
OUT="$HERE/src/test/resources/golden"
mkdir -p "$OUT/models"
ARCH_ONLY="${ARCH_ONLY:-}"
if [ -z "$ARCH_ONLY" ]; then
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
fi

# Synthetic qwen2, qwen3, qwen3moe, phi3, gemma2 and gemma3 models: `ggufc synth --preset ARCH-tiny` (seed 1, stories260K's
# vocabulary), F32, and Q8_0 and Q4_0 (--pure) made by llama-quantize. The tests regenerate the files themselves
# (ArchModels) and check them against model.sha256; their Q8_0 and Q4_0 files are ggufc synth's own
# (--type Q8_0 / Q4_0), which are checked here to give llama.cpp exactly the logits of llama-quantize's.
GGUFC="$HERE/../ggufc"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
gen_arch() {  # $1 = model file, $2 = golden folder name
    local dir="$OUT/$2"; mkdir -p "$dir"
    for i in $ARCH_PROMPTS; do
        local prompt; prompt="$(sed -n "${i}p" "$OUT/prompts.txt")"
        "$REF/logits.sh" "$1" "$dir/p$i.logits.bin" "$prompt" > /dev/null
        "$REF/generate.sh" "$1" "$prompt" 64 --ignore-eos --json "$dir/p$i.greedy.json" > /dev/null 2>&1
    done
    "$REF/generate.sh" "$1" "Once upon a time" 32 > "$dir/greedy-32.txt" 2>/dev/null
}
for A in ${ARCH_ONLY:-qwen2 qwen3 qwen3moe phi3 gemma2 gemma3 gemma4 gemma4-moe}; do
    M="$A-tiny"
    # gemma2-tiny's and gemma3-tiny's local layers see 4 keys: their prompts are longer than that (prompt 5: 28 tokens)
    case "$A" in gemma*) ARCH_PROMPTS="1 2 5" ;; *) ARCH_PROMPTS="1 2 4" ;; esac
    "$GGUFC" synth --preset "$M" --type F32 --seed 1 --vocab "$MODELS/stories260K.gguf" -o "$TMP/$M.gguf" 2>/dev/null
    gen_arch "$TMP/$M.gguf" "$M"
    (cd "$TMP" && sha256sum "$M.gguf") > "$OUT/$M/model.sha256"
    # Q4_0 with --pure: every matrix Q4_0 (llama-quantize's default would make output.weight Q6_K), as ggufc synth --type Q4_0
    for Q in Q8_0 Q4_0; do
        PURE=""; [ "$Q" = Q4_0 ] && PURE="--pure"
        "$GGUFC" synth --preset "$M" --type "$Q" --seed 1 --vocab "$MODELS/stories260K.gguf" -o "$TMP/$M-synth-$Q.gguf" 2>/dev/null
        "$REF/quantize.sh" "$TMP/$M.gguf" "$TMP/$M-$Q.gguf" "$Q" $PURE > "$TMP/$M-$Q.types.txt"
        gen_arch "$TMP/$M-$Q.gguf" "$M-$Q"
        for i in $ARCH_PROMPTS; do
            "$REF/logits.sh" "$TMP/$M-synth-$Q.gguf" "$TMP/p$i.bin" "$(sed -n "${i}p" "$OUT/prompts.txt")" > /dev/null
            cmp -s "$TMP/p$i.bin" "$OUT/$M-$Q/p$i.logits.bin" || { echo "$M: llama.cpp's logits on ggufc synth's $Q differ from llama-quantize's (prompt $i)" >&2; exit 1; }
        done
        grep -E '^ +[a-z_.*0-9]+ [a-z0-9_]+ x[0-9]+$' "$TMP/$M-$Q.types.txt" > "$OUT/$M-$Q/types.txt"
        (cd "$TMP" && sha256sum "$M-synth-$Q.gguf") > "$OUT/$M-$Q/model.sha256"
    done
done
# llama-perplexity's figures and base-logits file (PerplexityTest)
[ -n "$ARCH_ONLY" ] || "$HERE/regenerate-perplexity.sh"
echo "goldens written to $OUT"
