#!/usr/bin/env bash
# llama.cpp's speculative loop (../shared/reference/mtp.sh: common/speculative.cpp's ngram-simple drafter,
# target greedy) on stories260K: the step lines SpecTraceTest compares `ggufc run --spec-trace` with.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REF="$HERE/../../shared/reference"
[[ -d "$REF" ]] || REF="$HERE/../../../shared/reference"
M="$REF/../models/stories260K.gguf"
OUT="$HERE/src/test/resources/golden/spec"
mkdir -p "$OUT"
"$REF/mtp.sh" "$M" "Once upon a time" 64 3 --spec-type ngram-simple --spec-ngram-simple-size-n 2 --spec-ngram-simple-size-m 8 2>/dev/null \
    | grep '^step' > "$OUT/ngram-simple-n2-m8-64.txt"
"$REF/mtp.sh" "$M" "Lily saw a ball. Lily saw a ball. Lily saw a cat. Lily saw a" 48 3 --spec-type ngram-simple --spec-ngram-simple-size-n 1 --spec-ngram-simple-size-m 4 2>/dev/null \
    | grep '^step' > "$OUT/ngram-simple-n1-m4-48.txt"
