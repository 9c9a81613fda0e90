#!/usr/bin/env bash
# Reproduces bench/REPORT.md: writes the synthetic benchmark models once (ggufc synth, seeded, real
# shapes, llama-spm tokenizer) and runs `ggufc bench` on them and on the stories260K files, 1 and 2
# threads, against the llama.cpp reference (../shared/reference/bench.sh). Extra arguments go to
# `ggufc bench` (e.g. -r 5, -t 1). Models go to $GGUFC_BENCH_MODELS (default ~/.cache/ggufc-bench,
# about 3 GB), never into the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="${GGUFC_BENCH_MODELS:-$HOME/.cache/ggufc-bench}"
mkdir -p "$MODELS"
for spec in llama-125m:Q8_0 llama-125m:Q4_0 llama-1b:Q8_0 llama-1b:Q4_0 llama-1b:Q4_K; do
    preset=${spec%%:*} type=${spec##*:}
    f="$MODELS/$preset-$type.gguf"
    [[ -f "$f" ]] || "$ROOT/ggufc" synth --preset "$preset" --type "$type" -o "$f"
done
G="$ROOT/golden-tests/src/test/resources/golden/models"
exec "$ROOT/ggufc" bench -m stories260K.gguf -m "$G/stories260K-Q8_0.gguf" -m "$G/stories260K-Q4_0.gguf" \
    -m "$MODELS/llama-125m-Q8_0.gguf" -m "$MODELS/llama-125m-Q4_0.gguf" \
    -m "$MODELS/llama-1b-Q8_0.gguf" -m "$MODELS/llama-1b-Q4_0.gguf" -m "$MODELS/llama-1b-Q4_K.gguf" \
    -p 128 -n 128 -t 1,2 -r 3 "$@"
