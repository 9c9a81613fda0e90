#!/usr/bin/env bash
# Numerics as a user sees them (issue #12's fidelity target): greedy 64-token continuations of 20
# prompts (bench/fidelity-prompts.txt) on llama-quantize'd stories260K variants (Q8_0, Q4_0, Q5_1,
# F16), from llama.cpp (../shared/reference/generate.sh, EOS ignored) and from a fresh `ggufc run
# --temp 0 -n 64 --ignore-eos` on the reference interpreter and on the vector kernels. Prints, per
# variant, how many of the 20 texts each backend gives exactly as llama.cpp does, and the prompts
# where one differs. Writes nothing into the repository; takes 5-9 minutes on a 2-vCPU EPYC.
# VARIANTS="Q8_0 Q4_0" picks variants; VECTOR_PASSES=none runs the vector kernels on the lifted graph
# (f32 activations: what `run --model` did before it ran the vector pipeline).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="${REF:-$ROOT/../shared/reference}"
MODELS="${GGUFC_MODELS:-$ROOT/../shared/models}"
PROMPTS="$ROOT/bench/fidelity-prompts.txt"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
N=64
VECTOR_PASSES="${VECTOR_PASSES:-default}"
echo "# Greedy fidelity: ggufc vs llama.cpp, $(date -u +%Y-%m-%d), $(nproc)-vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| variant | prompts | interpreter = llama.cpp | vector (--passes $VECTOR_PASSES) = llama.cpp | differing (interpreter / vector) |"
echo "| --- | --- | --- | --- | --- |"
for T in ${VARIANTS:-Q8_0 Q4_0 Q5_1 F16}; do
    M="$TMP/stories260K-$T.gguf"
    "$REF/quantize.sh" "$MODELS/stories260K.gguf" "$M" "$T" > /dev/null
    total=0 interp=0 vector=0 diff_i="" diff_v=""
    while IFS= read -r prompt; do
        [[ -n "$prompt" ]] || continue
        total=$((total + 1))
        want="$("$REF/generate.sh" "$M" "$prompt" "$N" --ignore-eos 2>/dev/null)"
        got_i="$("$ROOT/ggufc" run --model "$M" --prompt "$prompt" -n "$N" --temp 0 --ignore-eos --backend interpreter 2>/dev/null)"
        got_v="$("$ROOT/ggufc" run --model "$M" --prompt "$prompt" -n "$N" --temp 0 --ignore-eos --backend vector --passes "$VECTOR_PASSES" 2>/dev/null)"
        if [[ "$got_i" == "$want" ]]; then interp=$((interp + 1)); else diff_i="$diff_i $total"; fi
        if [[ "$got_v" == "$want" ]]; then vector=$((vector + 1)); else diff_v="$diff_v $total"; fi
    done < "$PROMPTS"
    echo "| stories260K $T | $total | $interp | $vector | ${diff_i:- none} /${diff_v:- none} |"
done
