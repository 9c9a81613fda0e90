#!/usr/bin/env bash
# Regenerates the tokenizer golden files in this folder from the reference llama.cpp
# (/work/shared/reference, installed by its install.sh into ~/.cache/llama-reference).
#
#   cases.inp          = llama.cpp's own 46 test strings (ggml-vocab-gpt-2.gguf.inp) + extra-cases.inp
#   <vocab>.golden     = vocabulary facts, then for every case: llama_tokenize with (add_special=false,
#                        parse_special=false) and (true, true), llama_detokenize of both, and the token_to_piece
#                        concatenation (see golden_tool.cpp for the exact format)
#   fuzz-cases.inp     = 200 seeded random strings (fuzz_cases.py; needs python3)
#   <vocab>.fuzz.golden.gz = the same for fuzz-cases.inp, gzipped
#
# usage: regenerate.sh            (env: GGUFC_MODELS=/work/shared/models, REF_DEPS=~/.cache/llama-reference)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODELS="${GGUFC_MODELS:-$(cd "$HERE/../../../../.." && pwd)/../shared/models}"
REF="${REF_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/llama-reference}"
BIN="$REF/bin"
SRC="$REF/llama.cpp"
REFMODELS="$SRC/models"
if [[ ! -f "$BIN/libllama.v0.5.0.so" && -z "$(ls "$BIN"/libllama.v*.so 2>/dev/null)" ]] || [[ ! -f "$SRC/include/llama.h" ]]; then
    echo "reference llama.cpp not found under $REF; run /work/shared/reference/install.sh first" >&2
    exit 1
fi
LIBLLAMA="$(cd "$BIN" && ls libllama.v*.so | head -1)"
LIBGGML="$(cd "$BIN" && ls libggml.v*.so | head -1)"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
g++ -O1 -std=c++17 -I"$SRC/include" -I"$SRC/ggml/include" "$HERE/golden_tool.cpp" -o "$TMP/golden_tool" \
    -L"$BIN" -l:"$LIBLLAMA" -l:"$LIBGGML" -l:libggml-base.so -Wl,-rpath,"$BIN"

cat "$MODELS/vocab/ggml-vocab-gpt-2.gguf.inp" "$HERE/extra-cases.inp" > "$HERE/cases.inp"
python3 "$HERE/fuzz_cases.py" "$HERE/fuzz-cases.inp"

# vocab files in the shared models folder
SHARED=(llama-spm phi-3 baichuan bert-bge gpt-2 gpt-neox mpt falcon starcoder refact deepseek-coder deepseek-llm)
# vocab files that only llama.cpp's own models/ folder has (not in the shared models folder)
REFONLY=(llama-bpe qwen2 command-r aquila gemma-4 qwen35)

for v in "${SHARED[@]}"; do
    f="$MODELS/vocab/ggml-vocab-$v.gguf"
    [[ -f "$f" ]] || { echo "missing $f" >&2; exit 1; }
    "$TMP/golden_tool" "$BIN" "$f" "$HERE/cases.inp" > "$HERE/$v.golden"
    "$TMP/golden_tool" "$BIN" "$f" "$HERE/fuzz-cases.inp" | sed -n "/^case /,\$p" | gzip -9n > "$HERE/$v.fuzz.golden.gz"
    echo "wrote $v.golden $v.fuzz.golden.gz"
done
for v in "${REFONLY[@]}"; do
    f="$MODELS/vocab/ggml-vocab-$v.gguf"
    [[ -f "$f" ]] || f="$REFMODELS/ggml-vocab-$v.gguf"
    [[ -f "$f" ]] || { echo "missing ggml-vocab-$v.gguf (looked in $MODELS/vocab and $REFMODELS)" >&2; exit 1; }
    "$TMP/golden_tool" "$BIN" "$f" "$HERE/cases.inp" > "$HERE/$v.golden"
    "$TMP/golden_tool" "$BIN" "$f" "$HERE/fuzz-cases.inp" | sed -n "/^case /,\$p" | gzip -9n > "$HERE/$v.fuzz.golden.gz"
    echo "wrote $v.golden $v.fuzz.golden.gz"
done
"$BIN/llama-tokenize" --version 2>&1 | grep -m1 "^version" > "$HERE/REFERENCE_VERSION" || true
echo "reference: $(cat "$HERE/REFERENCE_VERSION")"
