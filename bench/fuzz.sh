#!/usr/bin/env bash
# The fuzz campaign: 100,000 mutated GGUF files (structure-aware: header fields, counts, lengths,
# value types, dims, tensor types, offsets, truncation, splices) from the shipped stories260K files
# (F32 v3, F32 v1, Q8_0 v2), the gpt-2 and bert-bge vocabularies, the golden Q4_0 and mixed-type
# models and synthetic qwen2/qwen3/qwen3moe/phi3/gemma2/gemma3/gemma4/gemma4-moe models (ggufc synth, Q8_0), plus 1,000 tampered artifacts, in
# one JVM, through parse, tokenizer, lift, passes, lowering and a decode step. Prints the report
# (bench/FUZZ.md holds the last one); exit 1 on any crash, hang or refusal that does not name its file.
# Extra arguments go to `ggufc fuzz` (e.g. --cases 5000 --seed 7, --save DIR to keep failing inputs).
# Takes about 5 minutes on a 2-vCPU EPYC.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
G="$ROOT/golden-tests/src/test/resources/golden/models"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
SEEDS=()
for a in qwen2 qwen3 qwen3moe phi3 gemma2 gemma3 gemma4 gemma4-moe; do
    "$ROOT/ggufc" synth --preset "$a-tiny" --type Q8_0 --seed 1 -o "$TMP/$a-tiny-Q8_0.gguf" 2>/dev/null
    SEEDS+=(--seed-file "$TMP/$a-tiny-Q8_0.gguf")
done
"$ROOT/ggufc" fuzz --cases 100000 --artifact-cases 1000 --seed 1 \
    --seed-file stories260K.gguf --seed-file tinyllamas-stories-260k-f32.gguf --seed-file tinyllamas-stories-260k-q8_0.gguf \
    --seed-file vocab/ggml-vocab-gpt-2.gguf --seed-file vocab/ggml-vocab-bert-bge.gguf \
    --seed-file "$G/stories260K-Q4_0.gguf" --seed-file "$G/stories260K-mixed.gguf" "${SEEDS[@]}" "$@"
