# Sourced by ./ggufc, ./run-tests and .ci/run: exports JAVA_HOME pointing at a JDK 25 or newer.
# The version of the JDK at $1: from its release file (JAVA_VERSION="25.0.3"), else by asking its java
# (a JVM start, a tenth of a second: every ggufc command pays for this check).
ggufc_java_version() {
    local line
    if [[ -r "$1/release" ]]; then
        while IFS= read -r line || [[ -n "$line" ]]; do
            if [[ "$line" == JAVA_VERSION=* ]]; then
                line="${line#JAVA_VERSION=}"
                echo "${line//\"/}"
                return 0
            fi
        done < "$1/release"
    fi
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
ggufc_pick_jdk() {
    local c
    for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*25*; do
        [[ -n "$c" && -x "$c/bin/java" ]] || continue
        local v; v="$(ggufc_java_version "$c")"
        v="${v%%[!0-9]*}" # the feature release: 25 of 25.0.3, 26 of 26-ea
        if [[ "$v" =~ ^[0-9]+$ && "$v" -ge 25 ]]; then export JAVA_HOME="$c"; return 0; fi
    done
    echo "ggufc: no JDK 25 found (tried \$JAVA_HOME and /usr/lib/jvm/*25*); install Temurin 25 or set JAVA_HOME" >&2
    return 1
}
ggufc_pick_jdk
