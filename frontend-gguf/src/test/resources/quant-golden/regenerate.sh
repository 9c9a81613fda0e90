#!/usr/bin/env bash
# Rebuilds the quantization goldens in this folder from the real llama.cpp (/work/shared/reference).
# Tests read only the committed results; nothing here runs at test time. See README.md.
#   edge/   llama.cpp's quantize_row_*_ref / dequantize_row_* / fp16+bf16 conversions on edge cases
#           (refquant.c, linked against the reference's libggml-base.so)
#   model/  llama-quantize --pure of a synthetic llama model written by ggufc's SyntheticLlama
#   llama-load.txt  llama.cpp loading and running the synthetic models (F32 and ggufc-quantized)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../../.." && pwd)"          # repository root (frontend-gguf/src/test/resources/quant-golden)
REF="${REF:-/work/shared/reference}"
MODELS="${MODELS:-$ROOT/../shared/models}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
source "$REF/_env.sh"                                # sets REF_BIN (installs the reference if needed)
LLAMA_SRC="$(dirname "$REF_BIN")/llama.cpp"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

# the model: 1 layer, n_embd = n_ff = 256 (rows are whole K-quant super-blocks), stories260K's vocabulary
SYNTH_ARGS=(--n-embd 256 --n-ff 256 --n-layer 1 --n-head 4 --n-head-kv 2 --ctx 256 --seed 1 --stress)
CONFIG="n_embd=256 n_ff=256 n_layer=1 n_head=4 n_head_kv=2 ctx=256 seed=1 stress=true tied=false"
FTYPES=(Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q4_K_S Q5_K_S Q6_K F16 BF16)

echo "== building ggufc classes"
(cd "$ROOT" && "${MVN:-mvn}" -q -pl frontend-gguf -am compile)
CP="$ROOT/ir/target/classes:$ROOT/frontend-gguf/target/classes"

echo "== edge cases through libggml-base ($REF_BIN)"
gcc -O2 -ffp-contract=off -o "$WORK/refquant" "$HERE/refquant.c" -L"$REF_BIN" -lggml-base -Wl,-rpath,"$REF_BIN"
rm -rf "$HERE/edge"; mkdir -p "$HERE/edge"
"$WORK/refquant" "$HERE/edge"

echo "== synthetic model, llama-quantize --pure"
"$JAVA_HOME/bin/java" -cp "$CP" ggufc.gguf.SyntheticLlama --vocab "$MODELS/stories260K.gguf" --out "$WORK/golden-f32.gguf" "${SYNTH_ARGS[@]}"
for T in "${FTYPES[@]}"; do
    "$REF_BIN/llama-quantize" --pure "$WORK/golden-f32.gguf" "$WORK/golden-$T.gguf" "$T" > "$WORK/quantize-$T.log" 2>&1 \
        || { cat "$WORK/quantize-$T.log"; exit 1; }
done
rm -rf "$HERE/model"
PYTHONPATH="$LLAMA_SRC/gguf-py" python3 "$HERE/extract.py" "$CONFIG" "$WORK" "$HERE/model" "${FTYPES[@]}"

echo "== llama.cpp loads and runs what SyntheticLlama writes"
{
    echo "# made by regenerate.sh: llama.cpp $("$REF_BIN/refllama" info "$WORK/golden-f32.gguf" 2>&1 | grep -m1 llama_version)"
    echo "# SyntheticLlama ${SYNTH_ARGS[*]}, prompt 'Once upon a time', logits at the last position (f32 KV, no flash attention)"
    for T in f32 q4_k q8_0; do
        F="$WORK/synth-$T.gguf"
        if [[ $T == f32 ]]; then F="$WORK/golden-f32.gguf"; else
            "$JAVA_HOME/bin/java" -cp "$CP" ggufc.gguf.SyntheticLlama --vocab "$MODELS/stories260K.gguf" --out "$F" "${SYNTH_ARGS[@]}" --type "$T"
        fi
        echo "## ggufc SyntheticLlama --type $T"
        "$REF_BIN/refllama" info "$F" 2>&1 | grep -E "^model:|^vocab:"
        bash "$REF/logits.sh" "$F" "$WORK/l.json" "Once upon a time" --last 2>&1 | grep -E "^tokens|^top5"
    done
    echo "## llama-quantize Q4_K_S --pure of the F32 model (same bytes as ggufc's q4_k, so the same logits)"
    bash "$REF/logits.sh" "$WORK/golden-Q4_K_S.gguf" "$WORK/l.json" "Once upon a time" --last 2>&1 | grep -E "^top5"
} > "$HERE/llama-load.txt"
cat "$HERE/llama-load.txt"
du -sh "$HERE/edge" "$HERE/model"
