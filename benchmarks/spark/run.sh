#!/usr/bin/env bash
# The Spark benchmark: images/s of `vim4j spark-classify` on local[2] against `vim4j classify` and the single-JVM API
# over the same 10,000 Fashion-MNIST PNG files, side by side in one run. Writes benchmarks/results/spark.jsonl and
# benchmarks/results/spark.md (section 8 of benchmarks/RESULTS.md, which benchmarks/make_results.py regenerates).
#
#   benchmarks/spark/run.sh [ROUNDS]        (default 3 rounds; each round runs every measurement once, interleaved,
#                                            so load from other jobs hits all of them alike; the best round counts)
# About 5 minutes on a quiet 2-core machine. On a shared machine: flock /tmp/vim4j-bench.lock benchmarks/spark/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"
ROUNDS="${1:-3}"
OUT="$ROOT/benchmarks/results"
mkdir -p "$OUT"
START=$(date +%s)
log() { echo "[spark/run.sh $(( $(date +%s) - START )) s] $*" >&2; }

if [ -z "${JAVA_HOME:-}" ]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do [ -x "$j/bin/java" ] && export JAVA_HOME="$j" && break; done
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log "building (mvn -pl spark -am package, tests skipped)"
mvn -B -q -DskipTests package -pl spark -am >&2
touch spark/target/vim4j-spark-0.1.0-SNAPSHOT.jar java/target/vim4j-core-0.1.0-SNAPSHOT.jar # ./vim4j: up to date
CORE_CP="java/target/vim4j-core-0.1.0-SNAPSHOT.jar:java/target/lib/*"
SPARK_CP="spark/target/vim4j-spark-0.1.0-SNAPSHOT.jar:spark/target/app/*:spark/target/lib/*"
read -r -a SPARK_FLAGS <<< "$(sed -n 's:.*<vim4j.sparkJvmFlags>\(.*\)</vim4j.sparkJvmFlags>.*:\1:p' spark/pom.xml)"
JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC)

WORK="$(mktemp -d /tmp/vim4j-spark-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
log "writing the 10,000 Fashion-MNIST test images as PNG files to $WORK/png"
"$JAVA" -cp "$CORE_CP" benchmarks/spark/FashionMnistPngs.java "$WORK/png"
N=$(find "$WORK/png" -name '*.png' | wc -l)

JSONL="$OUT/spark.jsonl"
: > "$JSONL"
record() { # $1 = what, $2 = round, rest: a JSON object's fields (without braces)
  local what="$1" round="$2"; shift 2
  echo "{\"what\":\"$what\",\"round\":$round,$*}" >> "$JSONL"
}
now() { date +%s.%N; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS: API, 2 workers x 1 kernel thread, batch 64, 2 passes in one JVM"
  "$JAVA" "${JFLAGS[@]}" -cp "$CORE_CP" benchmarks/spark/ApiThroughput.java "$WORK/png" 2 1 64 2 2>/dev/null \
    | while read -r line; do record api "$r" "${line:1:${#line}-2}"; done

  log "round $r/$ROUNDS: ./vim4j classify over all images (one JVM, batch 1, 2 kernel threads)"
  t0=$(now)
  (cd "$WORK/png" && VIM4J_NO_BUILD=1 "$ROOT/vim4j" classify --top 1 ./*.png > "$WORK/classify.txt" 2>/dev/null)
  t1=$(now)
  got=$(grep -c '^  1\. ' "$WORK/classify.txt")
  record classify "$r" "\"images\":$got,\"seconds\":$(echo "$t1 - $t0" | bc -l),\"images_per_s\":$(echo "$got / ($t1 - $t0)" | bc -l),\"includes\":\"JVM start and model load\""

  log "round $r/$ROUNDS: ./vim4j spark-classify --master local[2] (a fresh JVM)"
  t0=$(now)
  line=$(VIM4J_NO_BUILD=1 ./vim4j spark-classify --input "$WORK/png" --output "$WORK/out.parquet" --master 'local[2]' --json \
    --overwrite 2>/dev/null | tail -n1)
  t1=$(now)
  record spark-classify "$r" "${line:1:${#line}-2},\"wall_seconds\":$(echo "$t1 - $t0" | bc -l)"

  log "round $r/$ROUNDS: the same Spark job 2 passes in one JVM (paths), and binaryFile content"
  "$JAVA" "${JFLAGS[@]}" "${SPARK_FLAGS[@]}" -Dlog4j2.configurationFile=org/vim4j/spark/log4j2-cli.properties -cp "$SPARK_CP" \
    benchmarks/spark/SparkThroughput.java "$WORK/png" "$WORK/bench.parquet" 'local[2]' 2 paths 2>/dev/null \
    | while read -r line; do record spark-job "$r" "${line:1:${#line}-2}"; done
  "$JAVA" "${JFLAGS[@]}" "${SPARK_FLAGS[@]}" -Dlog4j2.configurationFile=org/vim4j/spark/log4j2-cli.properties -cp "$SPARK_CP" \
    benchmarks/spark/SparkThroughput.java "$WORK/png" "$WORK/bench.parquet" 'local[2]' 2 content 2>/dev/null \
    | while read -r line; do record spark-job-content "$r" "${line:1:${#line}-2}"; done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$JSONL" "$OUT/spark.md" "$N" "$LOAD_BEFORE" "$LOAD_AFTER" "$(git rev-parse --short HEAD)" "$(( $(date +%s) - START ))" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out, n, before, after, git, secs = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
def best(what, **kw):
    c = [r for r in rows if r["what"] == what and all(r.get(k) == v for k, v in kw.items())]
    return max(c, key=lambda r: r["images_per_s"]) if c else None
def rounds(what, **kw):
    return ", ".join("%.0f" % r["images_per_s"] for r in rows if r["what"] == what and all(r.get(k) == v for k, v in kw.items()))
api1, api2 = best("api", **{"pass": 1}), best("api", **{"pass": 2})
cli = best("classify")
sc = best("spark-classify")
job1, job2 = best("spark-job", **{"pass": 1}), best("spark-job", **{"pass": 2})
con1, con2 = best("spark-job-content", **{"pass": 1}), best("spark-job-content", **{"pass": 2})
L = []
w = L.append
w("## 8. Spark: `spark-classify` on local[2] against `vim4j classify` and the API")
w("")
w("%d Fashion-MNIST test images as PNG files (28x28 grey, the embedded model), native backend, on this 2-core machine; "
  "`benchmarks/spark/run.sh` (git %s, %s s, load average before / after: %s / %s) ran every measurement once per round, "
  "interleaved, and the table shows each one's best round (all rounds in `benchmarks/results/spark.jsonl`)." % (n, git, secs, before, after))
w("")
w("| what | images/s (best round) | all rounds | time counted |")
w("|---|---|---|---|")
def row(name, r, allr, counted):
    if r:
        w("| %s | %.0f | %s | %s |" % (name, r["images_per_s"], allr, counted))
row("API: 2 worker threads x 1 kernel thread, batch 64, first pass (`ApiThroughput.java`)", api1, rounds("api", **{"pass": 1}),
    "decode + preprocess + infer; model loaded before")
row("API: the same, second pass in the same JVM", api2, rounds("api", **{"pass": 2}), "as above, JIT warm")
row("`vim4j classify --top 1 *.png` (batch 1, 2 kernel threads)", cli, rounds("classify"), "whole command: JVM start, model load, printing")
row("`vim4j spark-classify --master local[2]` (job time from its `--json`)", sc, rounds("spark-classify"),
    "the Spark job (read, decode, infer, write Parquet); not the JVM or session start, listing or model load")
row("Spark job, first pass in a fresh JVM (`SparkThroughput.java`, paths)", job1, rounds("spark-job", **{"pass": 1}),
    "listing + job; session start and model load apart")
row("Spark job, second pass in the same JVM (paths)", job2, rounds("spark-job", **{"pass": 2}), "listing + job, JIT warm")
row("Spark job, second pass, binaryFile `content` input", con2, rounds("spark-job-content", **{"pass": 2}), "listing + job, JIT warm")
w("")
if api1 and sc:
    w("* **Spark's overhead once the JVM is up** (goal <= 10%%): a fresh `spark-classify` job runs at %.0f images/s against the "
      "API's first pass at %.0f: %+.1f%%." % (sc["images_per_s"], api1["images_per_s"], 100 * (api1["images_per_s"] / sc["images_per_s"] - 1)))
if api2 and job2:
    w("* Warm (second pass in the same JVM): the Spark job at %.0f images/s against the API at %.0f: %+.1f%%." % (
        job2["images_per_s"], api2["images_per_s"], 100 * (api2["images_per_s"] / job2["images_per_s"] - 1)))
if sc:
    w("* A whole `spark-classify` command took %.1f s wall for the %d images, of which the job was %.1f s: the rest is starting the "
      "JVM and Spark (local mode), listing the files (%.1f s) and loading the model (%.1f s)." % (
          sc["wall_seconds"], n, sc["seconds"], sc.get("list_seconds", 0), sc.get("model_seconds", 0)))
w("* Overhead = (API images/s / Spark images/s) - 1, i.e. how much longer Spark takes for the same images. Both decode with "
  "the same `ImageInput.fromFile` and run the same kernels on the same 2 cores (Spark: 2 tasks at a time, 1 kernel thread "
  "each; the API: 2 workers, 1 kernel thread each), and give the same logits bit for bit (`FashionMnistSparkTest`).")
w("")
open(out, "w").write("\n".join(L) + "\n")
PY
python3 benchmarks/make_results.py "$OUT" benchmarks/RESULTS.md
log "done: benchmarks/results/spark.md, benchmarks/RESULTS.md"
