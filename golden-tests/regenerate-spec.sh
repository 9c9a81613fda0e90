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
# llama.cpp's draft-mtp loop with a gemma4-assistant drafter (-md) on the synthetic pairs (`ggufc synth --preset
# gemma4-mtp-tiny|gemma4-mtp-cycle-tiny --seed 1 [--type Q8_0]`, which AssistantSpecTraceTest writes again itself): the
# random pair (no draft accepted), the cycle pair (drafts accepted), a Q8_0 assistant beside the F32 target and both Q8_0
PAIRS="$(mktemp -d "${TMPDIR:-/tmp}/ggufc-mtp-pairs.XXXXXX")"
trap 'rm -rf "$PAIRS"' EXIT
for p in gemma4-mtp-tiny gemma4-mtp-cycle-tiny; do
    for t in F32 Q8_0; do
        "$HERE/../ggufc" synth --preset "$p" --seed 1 --type "$t" -o "$PAIRS/$p-$t.gguf" --assistant-out "$PAIRS/$p-assistant-$t.gguf" 2>/dev/null
    done
done
mtp() { # PRESET N DRAFT_MAX P_MIN ASSISTANT_TYPE [TARGET_TYPE=F32]
    local tt="${6:-F32}"
    "$REF/mtp.sh" "$PAIRS/$1-$tt.gguf" "$PAIRS/$1-assistant-$5.gguf" "Once upon a time" "$2" "$3" --spec-draft-p-min "$4" 2>/dev/null \
        | grep '^step' > "$OUT/draft-mtp-$1-$2-$3$( [[ "$4" == 0 ]] || echo "-p$4")$( [[ "$5" == F32 ]] || echo "-$5")$( [[ "$tt" == F32 ]] || echo "-target$tt").txt"
}
mtp gemma4-mtp-tiny 48 3 0 F32
mtp gemma4-mtp-cycle-tiny 48 4 0 F32
mtp gemma4-mtp-cycle-tiny 64 3 0 F32
mtp gemma4-mtp-tiny 32 4 0.9 F32
mtp gemma4-mtp-tiny 48 3 0 Q8_0
mtp gemma4-mtp-tiny 48 3 0 Q8_0 Q8_0
# llama.cpp's draft-mtp loop on a dense hy_v3's own MTP (nextn) layer, no -md (`ggufc synth --preset
# hyv3-mtp-tiny|hyv3-mtp-cycle-tiny --seed 1`, which MtpSpecTraceTest writes again itself): the random model (drafts
# the MTP head's guesses, one accepted), the cycle model (drafts mostly accepted), --draft-p-min, and a prompt of 73
# tokens (longer than the vector plans' 64-token chunks); and llama.cpp's plain greedy text of both (generate.sh)
for p in hyv3-mtp-tiny hyv3-mtp-cycle-tiny; do
    "$HERE/../ggufc" synth --preset "$p" --seed 1 -o "$PAIRS/$p.gguf" 2>/dev/null
    "$REF/generate.sh" "$PAIRS/$p.gguf" "Once upon a time" 48 2>/dev/null > "$OUT/greedy-48-$p.txt"
done
# and the trunk's logits at every position of "Once upon a time" (logits.sh; f32 KV, flash attention off)
"$REF/logits.sh" "$PAIRS/hyv3-mtp-tiny.gguf" "$OUT/logits-hyv3-mtp-tiny.bin" "Once upon a time" > /dev/null 2>&1
LONG="Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. One day, she saw a big red ball in the park. She ran to the ball and kicked it very hard. The ball went up high into the sky and came down near a tree. Lily was happy and laughed."
own() { # PRESET N DRAFT_MAX P_MIN [long]
    local text="Once upon a time"
    [[ "${5:-}" == long ]] && text="$LONG"
    "$REF/mtp.sh" "$PAIRS/$1.gguf" "$text" "$2" "$3" --spec-draft-p-min "$4" 2>/dev/null \
        | grep '^step' > "$OUT/draft-mtp-own-$1-$2-$3$( [[ "$4" == 0 ]] || echo "-p$4")${5:+-$5}.txt"
}
own hyv3-mtp-tiny 48 3 0
own hyv3-mtp-cycle-tiny 48 3 0
own hyv3-mtp-cycle-tiny 64 4 0
own hyv3-mtp-tiny 32 4 0.9
own hyv3-mtp-cycle-tiny 48 2 0.5
own hyv3-mtp-cycle-tiny 40 3 0 long
