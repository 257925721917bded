#!/usr/bin/env bash
# The launcher's AOT cache (./vim4j, cli/target/vim4j.aot): made when missing or older than the jars, used when valid,
# and a stale, unreadable or switched-off cache still runs the command with the same output and nothing extra on
# stdout. Run by the cli module after packaging (mvn verify); ROOT is the checkout.
set -euo pipefail
ROOT="$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../../../..}" && pwd)"
AOT="$ROOT/cli/target/vim4j.aot"
JAR="$ROOT/cli/target/vim4j-cli-0.1.0-SNAPSHOT.jar"
IMAGE="$ROOT/java/src/main/resources/org/vim4j/examples/7-sneaker.png"
export VIM4J_NO_BUILD=1
unset VIM4J_AOT VIM4J_JAVA_OPTS
fail() { echo "aot-cache-test: FAIL: $*" >&2; exit 1; }
ERR="$(mktemp)"
trap 'rm -f "$ERR"' EXIT
run() { # stdout of one classification (JSON, its latency left out); its stderr goes to $ERR
  "$ROOT/vim4j" classify --top 1 --json "$IMAGE" 2>"$ERR" | sed 's/"latency_ms":[0-9.]*,//'
}
noise() { # stderr lines other than the launcher's and vim4j's own ("vim4j: ...") and the JDK's incubator notice
  grep -v '^vim4j: \|^WARNING: Using incubator modules' "$ERR" || true
}
main_source() { # where the JVM loaded org.vim4j.cli.Main from: "shared objects file" when the cache is in use
  VIM4J_JAVA_OPTS="-Xlog:class+load=info" "$ROOT/vim4j" --version 2>/dev/null \
    | sed -n 's/.*org\.vim4j\.cli\.Main source: //p'
}
[ -f "$JAR" ] || fail "$JAR not built"

# Absent: the launcher writes it, says so on stderr, and the run's stdout is the answer alone.
rm -f "$AOT"
expected="$(run)"
grep -q "writing the JVM's AOT cache" "$ERR" || fail "no notice of the cache being written: $(cat "$ERR")"
[ -s "$AOT" ] || fail "the cache was not written"
[[ "$expected" == '{'*'Sneaker'* ]] || fail "unexpected output without a cache: $expected"
[ "$(printf '%s\n' "$expected" | wc -l)" = 1 ] || fail "more than the JSON line on stdout: $expected"
[ -z "$(noise)" ] || fail "unexpected stderr while writing the cache: $(noise)"

# Present and valid: used (classes come from it), not rewritten, same answer.
[ "$(run)" = "$expected" ] || fail "different output with the cache"
grep -q "writing the JVM's AOT cache" "$ERR" && fail "a valid cache was rewritten"
[ "$(main_source)" = "shared objects file" ] || fail "the cache is not used: Main from $(main_source)"

# Stale: a jar changed after the cache was made but the cache looks newer (e.g. copied). JDK 25 itself does not notice
# (it would run the old classes from the cache), so the launcher's stamp must: the cache is rewritten, then used.
touch "$JAR"
sleep 1
touch "$AOT"
[ "$(run)" = "$expected" ] || fail "different output with a stale cache"
grep -q "writing the JVM's AOT cache" "$ERR" || fail "a cache made from other jars was not rewritten"
[ -z "$(noise)" ] || fail "the JVM complained about the stale cache: $(noise)"
[ "$(main_source)" = "shared objects file" ] || fail "the rewritten cache is not used: Main from $(main_source)"

# A jar whose content changed (same name): the rewritten cache, never the old classes.
cp "$JAR" "$JAR.orig"
trap 'rm -f "$ERR"; [ -f "$JAR.orig" ] && mv -f "$JAR.orig" "$JAR"' EXIT
jar_tool="${JAVA_HOME:+$JAVA_HOME/bin/jar}"
[ -x "${jar_tool:-}" ] || jar_tool="$(command -v jar || ls /usr/lib/jvm/*/bin/jar 2>/dev/null | head -n 1 || true)"
[ -x "${jar_tool:-}" ] || fail "no jar tool (JAVA_HOME/bin/jar, PATH, /usr/lib/jvm) to change the jar with"
(cd "$(mktemp -d)" && echo changed > vim4j-aot-test.txt && "$jar_tool" uf "$JAR" vim4j-aot-test.txt)
touch "$AOT" "$AOT.stamp"
[ "$(run)" = "$expected" ] || fail "different output after the jar changed"
grep -q "writing the JVM's AOT cache" "$ERR" || fail "a cache of the old jar was used"
mv -f "$JAR.orig" "$JAR"
[ "$(run)" = "$expected" ] || fail "different output after restoring the jar"
grep -q "writing the JVM's AOT cache" "$ERR" || fail "the restored jar did not rewrite the cache"

# No stamp (a cache from an older launcher, or copied alone): rewritten.
rm -f "$AOT.stamp"
[ "$(run)" = "$expected" ] || fail "different output without a stamp"
grep -q "writing the JVM's AOT cache" "$ERR" || fail "a cache without a stamp was used"
[ -f "$AOT.stamp" ] || fail "no stamp written"

# Unreadable: garbage instead of a cache.
echo "not an AOT cache" > "$AOT"
[ "$(run)" = "$expected" ] || fail "different output with a corrupt cache"
[ -z "$(noise)" ] || fail "the JVM complained about the corrupt cache: $(noise)"

# Switched off.
[ "$(VIM4J_AOT=0 run)" = "$expected" ] || fail "different output with VIM4J_AOT=0"

# Older than the jar (the usual rebuild): rewritten, and used again.
touch "$JAR"
[ "$(run)" = "$expected" ] || fail "different output when rewriting an old cache"
grep -q "writing the JVM's AOT cache" "$ERR" || fail "a cache older than the jar was not rewritten"
[ "$(main_source)" = "shared objects file" ] || fail "the rewritten cache is not used"
echo "aot-cache-test: ok (absent, valid, stale, changed jar, no stamp, corrupt, off, rebuilt)"
