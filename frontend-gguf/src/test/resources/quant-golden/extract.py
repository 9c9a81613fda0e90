#!/usr/bin/env python3
"""Writes model/manifest.tsv and model/prefix-<FTYPE>.bin from llama-quantize outputs.

Reads the GGUF files with llama.cpp's own gguf-py (not with ggufc's reader), so the goldens do
not depend on the code under test. Usage: extract.py CONFIG WORKDIR OUTDIR FTYPE...
WORKDIR holds golden-f32.gguf and golden-<FTYPE>.gguf.
"""
import hashlib
import os
import sys

import gguf  # from llama.cpp's gguf-py (PYTHONPATH set by regenerate.sh)

PREFIX_TENSORS = ["token_embd.weight", "blk.0.attn_k.weight", "blk.0.ffn_down.weight"]
PREFIX_ROWS = 4  # the stress rows of SyntheticLlama


def tensors(path):
    r = gguf.GGUFReader(path)
    for t in r.tensors:
        yield t.name, t.tensor_type.name, [int(x) for x in t.shape], t.data.tobytes()


def main():
    config, work, out = sys.argv[1], sys.argv[2], sys.argv[3]
    ftypes = sys.argv[4:]
    os.makedirs(out, exist_ok=True)
    lines = ["# made by regenerate.sh from llama.cpp's llama-quantize (read with llama.cpp's gguf-py); do not edit",
             "config\t" + config]
    for name, typ, ne, data in tensors(os.path.join(work, "golden-f32.gguf")):
        assert typ == "F32", (name, typ)
        lines.append("source\t%s\t%s\t%s" % (name, "x".join(map(str, ne)), hashlib.sha256(data).hexdigest()))
    for ft in ftypes:
        prefix = bytearray()
        for name, typ, ne, data in tensors(os.path.join(work, "golden-%s.gguf" % ft)):
            lines.append("quant\t%s\t%s\t%s\t%d\t%s" % (ft, name, typ, len(data), hashlib.sha256(data).hexdigest()))
            if name in PREFIX_TENSORS and typ not in ("F32", "F16", "BF16"):
                rows = 1
                for d in ne[1:]:
                    rows *= d
                nbytes = len(data) // rows * PREFIX_ROWS
                lines.append("prefix\t%s\t%s\t%d\t%d\t%d" % (ft, name, PREFIX_ROWS, len(prefix), nbytes))
                prefix += data[:nbytes]
        if prefix:
            with open(os.path.join(out, "prefix-%s.bin" % ft), "wb") as f:
                f.write(prefix)
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
