#!/usr/bin/env bash
# JMH microbenchmarks of the decode matrix-vector kernels (kernel-bench: Q8_0, Q4_0, Q4_K weights in
# GGUF block layouts, Llama-3.2-1B-class shapes out of cache and one cache-resident shape, one
# thread). Builds the module (mvn package, no install) and runs its JMH uber-jar with JDK 25; the
# forks get --add-modules jdk.incubator.vector from the benchmarks' @Fork. Extra arguments go to
# JMH, e.g. `bench/kernels.sh Q4_K -p shape=2048x8192` or `-prof gc`; `-h` lists JMH's options.
# Defaults (the classes' annotations): 1 fork, 4 x 500 ms warm-up, 5 x 500 ms measurement: about
# 3 minutes for all 33 runs. Scores are ops/ns with one op = one weight (billions of weights per
# second); unless -rf/-rff is given, a Markdown table with GB/s of weight bytes follows JMH's output.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/jdk.sh"
cd "$ROOT"
# Debian's Maven prints bare ANSI resets even in batch mode: strip them
mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl kernel-bench -am package 2>&1 | sed 's/\x1b\[0m//g' >&2
JAR="$ROOT/kernel-bench/target/benchmarks.jar"
CSV=""
if [[ " $* " != *" -rf "* && " $* " != *" -rff "* ]]; then
    CSV="$ROOT/kernel-bench/target/kernels.csv"
    rm -f "$CSV"
    set -- -rf csv -rff "$CSV" "$@"
fi
# (JMH itself still calls sun.misc.Unsafe::objectFieldOffset: allowed, to keep the warnings out)
"$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -jar "$JAR" "$@"
[[ -n "$CSV" && -s "$CSV" ]] || exit 0
# bytes per weight: Q8_0 34/32, Q4_0 18/32, Q4_K 144/256
echo
echo "| kernel | K x N | G weights/s | ± (99.9 %) | GB/s of weights |"
echo "| --- | --- | ---: | ---: | ---: |"
awk -F, 'NR > 1 {
    for (i = 1; i <= NF; i++) gsub(/["\r]/, "", $i)
    n = split($1, p, "."); cls = p[n - 1]; name = cls "." p[n]
    bpw = cls ~ /^Q8_0/ ? 34 / 32 : cls ~ /^Q4_0/ ? 18 / 32 : cls ~ /^Q4_K/ ? 144 / 256 : 0
    shape = $8; split(shape, kn, "x"); cached = kn[1] * kn[2] < 16777216 ? " (cached)" : ""
    err = $6 == "NaN" ? "–" : sprintf("%.3f", $6)
    printf "| %s | %s%s | %.3f | %s | %s |\n", name, shape, cached, $5, err, bpw ? sprintf("%.2f", $5 * bpw) : "?"
}' "$CSV"
