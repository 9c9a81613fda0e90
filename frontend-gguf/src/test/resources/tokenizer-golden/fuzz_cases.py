#!/usr/bin/env python3
"""Writes fuzz-cases.inp: seeded random test strings (llama.cpp .inp format) for the golden comparison.

Two generators: one mostly ASCII with whitespace variants, contractions, digits, special-token texts and common
non-ASCII characters; one heavier on random code points over the whole Unicode range (including code points new
in Unicode 16, which llama.cpp treats as unassigned). Deterministic: same output for the same seeds.
"""
import random
import sys

SEP = "\n__ggml_vocab_test__\n"
SPECIAL = ["<|endoftext|>", "<s>", "</s>", "<unk>", "[CLS]", "[SEP]", "[MASK]", "[PAD100015]", "<|im_start|>",
           "<|im_end|>", "<|eot_id|>", "<|begin_of_text|>", "<fim_prefix>", "<fim_middle>", "<｜fim▁hole｜>",
           "<｜begin▁of▁sentence｜>", "<|end|>", "<|user|>", " <|end|> ", "\n<|assistant|>\n", ">>TITLE<<",
           "<|padding|>", "   ", "    ", "õ", "ÿ"]
CONTRACTIONS = ["'s", "'T", "'Re", "'ve", "'LL", "'d", "'m", " '", "''", "'", " 's", "n't"]
PICKED = ["\u0301", "é", "中", "😀", "🇺", "\u200d", "٣", "½", "▁", "’", "Ⅻ", "ǅ", "İ", "ß", "ﬁ", "\u0000", "\u0001",
          "\u007f", "\ufeff", "\u00ad", "\U0001d7d8", "가", "ᄀ", "ぁ", "ｶ", "\u0e31", "\u0939\u093f"]
WHITESPACE = [" ", " ", " ", "\n", "\t", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b", "\u000c",
              "\u1680", "\u2009", "\u202f"]
NEW_IN_16 = [0x0897, 0x1B4E, 0x1C89, 0xA7CB, 0xA7DC, 0x105C0, 0x10D40, 0x10D50, 0x11380, 0x16100, 0x1E5D0, 0x1FA89,
             0x1CC00, 0x13460]


def any_cp(r):
    while True:
        c = r.randint(0, 0x10FFFF) if r.random() < 0.5 else r.randint(0x80, 0x2FFF)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def generator(r, heavy):
    pools = [
        (5 if heavy else 10, lambda: chr(r.randint(0x20, 0x7E))),
        (3 if heavy else 4, lambda: r.choice(WHITESPACE)),
        (6 if heavy else 0, lambda: any_cp(r)),
        (0 if heavy else 3, lambda: chr(r.randint(0x80, 0x2FFF))),
        (0 if heavy else 1, lambda: any_cp(r)),
        (1 if heavy else 0, lambda: chr(r.choice(NEW_IN_16))),
        (2, lambda: r.choice(SPECIAL)),
        (2, lambda: r.choice(CONTRACTIONS)),
        (2, lambda: str(r.randint(0, 10 ** r.randint(1, 15)))),
        (0 if heavy else 3, lambda: r.choice(PICKED)),
        (1, lambda: "".join(r.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ") for _ in range(r.randint(1, 30)))),
    ]
    total = sum(w for w, _ in pools)
    out = []
    for _ in range(r.randint(0, 80 if heavy else 40)):
        x = r.uniform(0, total)
        for w, f in pools:
            x -= w
            if x <= 0:
                out.append(f())
                break
    return "".join(out)


def main(path):
    cases = []
    for seed, heavy in ((12345, False), (999, True)):
        r = random.Random(seed)
        cases += [generator(r, heavy) for _ in range(100)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        for c in cases:
            assert SEP not in c
            f.write(c + SEP)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz-cases.inp")
