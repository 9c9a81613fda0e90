#!/usr/bin/env bash
# Speculative decoding on a model (default stories260K): the step cost of a T-token verify step against a
# 1-token step, and speculative (ngram, early-exit) vs plain greedy decode tok/s in one warm process.
# Usage: bench/spec.sh [GGUF] [THREADS] [N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/jdk.sh"
"$ROOT/ggufc" --version >/dev/null
MODEL="${1:-$ROOT/../shared/models/stories260K.gguf}" THREADS="${2:-1}" N="${3:-64}"
CP="$ROOT/cli/target/ggufc-cli.jar:$(ls "$ROOT"/cli/target/lib/*.jar | tr '\n' ':')"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"$JAVA_HOME/bin/javac" --add-modules jdk.incubator.vector -cp "$CP" -d "$OUT" "$ROOT"/bench/spec/*.java 2>&1 | grep -v 'warning\|^Note' || true
J=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$CP:$OUT")
"${J[@]}" StepCost "$MODEL" "$THREADS" 2>&1 | grep -v WARNING
"${J[@]}" SpecBench "$MODEL" "$THREADS" "$N" 2>&1 | grep -v WARNING
