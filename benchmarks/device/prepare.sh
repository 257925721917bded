#!/usr/bin/env bash
# Builds, on this (CPU-only, JDK-equipped) machine, what benchmarks/device/check.sh needs on the GPU machine, which
# has no JDK and no network: a jlink'ed Java runtime, the project's jars and compiled test classes (with the golden
# fixtures), the JUnit Platform jars, and the compiled DeviceBench / RunTests mains. Everything goes to
# .device-bundle/ (git-ignored, carried by the `run` tool: carry [".device-bundle"]; the limit is 64 MiB).
#
#   benchmarks/device/prepare.sh            (from anywhere; MVN_ARGS="-o" by default: offline Maven)
#
# The native libraries are NOT carried: check.sh builds libvim4j.so and libvim4j_cuda.so there with its nvcc and
# points the JVM at them (-Dvim4j.native.dir).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$ROOT/.device-bundle"
LIMIT_MIB=60
cd "$ROOT"

find_jdk() {
  for j in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if [ -n "$j" ] && [ -x "$j/bin/jlink" ] && "$j/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then
      echo "$j"; return 0
    fi
  done
  return 1
}
JDK="$(find_jdk)" || { echo "prepare: no JDK >= 25 with jlink found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME="$JDK" PATH="$JDK/bin:$PATH"
echo "prepare: JDK $JDK"

echo "prepare: building the jars and test classes (mvn ${MVN_ARGS:--o} -pl java -am -DskipTests package)"
# shellcheck disable=SC2086
mvn -B -q ${MVN_ARGS:--o} -pl java -am -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/device-classpath.txt
# -am: the java module's own dependencies (bindings) come from this reactor, not from ~/.m2, where the project's
# modules may not be installed.
mvn -B -q ${MVN_ARGS:--o} -pl java -am test-compile >/dev/null

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/lib" "$BUNDLE/classes"

# Project jars (without the native jar: the libraries are built on the GPU machine, and without core's test jar:
# the test classes travel as a directory below) and test dependencies.
cp bindings/target/vim4j-bindings-*.jar java/target/vim4j-core-0.1.0-SNAPSHOT.jar "$BUNDLE/lib/"
{ tr ':' '\n' < java/target/device-classpath.txt; echo; } | while read -r jar; do  # (the file has no final newline)
  case "$jar" in
    */junit-*|*/opentest4j-*|*/apiguardian-*) cp "$jar" "$BUNDLE/lib/" ;;
  esac
done
commons="$(ls "$BUNDLE"/lib/junit-platform-commons-*.jar 2>/dev/null | head -n1)"
[ -n "$commons" ] || { echo "prepare: junit-platform-commons not on the test classpath" >&2; exit 1; }
pv="$(basename "$commons" .jar)"; pv="${pv#junit-platform-commons-}"
launcher="$(find "$HOME/.m2/repository/org/junit/platform/junit-platform-launcher/$pv" -name "junit-platform-launcher-$pv.jar" | head -n1)"
[ -n "$launcher" ] || { echo "prepare: junit-platform-launcher $pv is not in ~/.m2 (run Maven's tests once online)" >&2; exit 1; }
cp "$launcher" "$BUNDLE/lib/"
# Test classes as a directory: the golden tests resolve their fixtures as files.
cp -r java/target/test-classes "$BUNDLE/test-classes"
rm -rf "$BUNDLE/test-classes/org/vim4j/io/fuzz"* 2>/dev/null || true
# The Fashion-MNIST test set (4.4 MiB) for DevicePrecisionTest's top-1: the device machine has no dataset package.
FM=/usr/share/datasets/fashion-mnist
if [ -f "$FM/t10k-images-idx3-ubyte.gz" ] && [ -f "$FM/t10k-labels-idx1-ubyte.gz" ]; then
  mkdir -p "$BUNDLE/fashion-mnist"
  cp "$FM/t10k-images-idx3-ubyte.gz" "$FM/t10k-labels-idx1-ubyte.gz" "$BUNDLE/fashion-mnist/"
else
  echo "prepare: no Fashion-MNIST test set in $FM (apt-get install dataset-fashion-mnist): the device top-1 check will skip" >&2
fi

javac -d "$BUNDLE/classes" -cp "$BUNDLE/lib/*:$BUNDLE/test-classes" --add-modules jdk.incubator.vector \
    benchmarks/device/java/DeviceBench.java benchmarks/device/java/RunTests.java 2>&1 | grep -v "incubator" || true
[ -f "$BUNDLE/classes/DeviceBench.class" ] || { echo "prepare: DeviceBench did not compile" >&2; exit 1; }

# The runtime: the modules the code that runs there needs (java.management and jdk.management for the tests'
# per-thread allocation counters). jdeps would also pull in java.desktop (image loading), which no test or benchmark
# run there uses, and which would not fit in 64 MiB.
mods="java.base,java.logging,java.management,jdk.management,jdk.incubator.vector"
echo "prepare: jlink modules $mods"
jlink --add-modules "$mods" --strip-java-debug-attributes --strip-native-debug-symbols exclude-debuginfo-files \
    --no-header-files --no-man-pages --compress=zip-9 --output "$BUNDLE/runtime" 2>&1 | grep -v "incubator" || true
[ -x "$BUNDLE/runtime/bin/java" ] || { echo "prepare: jlink failed" >&2; exit 1; }
# jlink keeps libjvm.so's symbol table (about 4 MiB): strip it when binutils are here.
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$BUNDLE/runtime/lib/server/libjvm.so"
fi
"$BUNDLE/runtime/bin/java" -version 2>&1 | head -n1

{
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "jdk=$JDK"
  echo "modules=$mods"
} > "$BUNDLE/bundle.properties"

size_kib="$(du -sk "$BUNDLE" | cut -f1)"
echo "prepare: $BUNDLE is $((size_kib / 1024)) MiB (runtime $(du -sm "$BUNDLE/runtime" | cut -f1) MiB, lib $(du -sm "$BUNDLE/lib" | cut -f1) MiB, test-classes $(du -sm "$BUNDLE/test-classes" | cut -f1) MiB)"
if [ "$size_kib" -gt $((LIMIT_MIB * 1024)) ]; then
  echo "prepare: the bundle exceeds ${LIMIT_MIB} MiB (the run tool carries at most 64 MiB)" >&2
  exit 1
fi
echo "prepare: done. On a GPU task: run(command=\"bash benchmarks/device/check.sh\", carry=[\".device-bundle\"])"
