# Sourced by ./ggufc, ./run-tests and .ci/run: exports JAVA_HOME pointing at a JDK 25 or newer.
ggufc_java_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
ggufc_pick_jdk() {
    local c
    for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*25*; do
        [[ -n "$c" && -x "$c/bin/java" ]] || continue
        local v; v="$(ggufc_java_version "$c")"
        if [[ "${v%%.*}" =~ ^[0-9]+$ && "${v%%.*}" -ge 25 ]]; then export JAVA_HOME="$c"; return 0; fi
    done
    echo "ggufc: no JDK 25 found (tried \$JAVA_HOME and /usr/lib/jvm/*25*); install Temurin 25 or set JAVA_HOME" >&2
    return 1
}
ggufc_pick_jdk
