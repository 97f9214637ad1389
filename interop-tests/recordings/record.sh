#!/usr/bin/env bash
# Records what a real Jaeger and a real Zipkin server answer for the fixed trace set, into
# bridge/tests/fixtures/query/{jaeger,zipkin}/ (see README.md next to this script).
# Run by hand, not by CI:
#   bash interop-tests/recordings/record.sh           # both servers
#   bash interop-tests/recordings/record.sh zipkin    # only one: zipkin | jaeger
# Needs: python3, curl, cargo (for `otelbridge translate`), Java 17 + mvn (Maven Central), Go >= 1.26 and
# the Go module proxy. Jaeger is built once (minutes of CPU) in $JAEGER_BUILD_DIR, outside the repo.
# The servers are run one after the other: Jaeger's all-in-one also listens on 9411 (its Zipkin receiver).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
here=interop-tests/recordings
fixtures=bridge/tests/fixtures/query
which=${1:-all}

JAEGER_VERSION=${JAEGER_VERSION:-v1.76.0}
ZIPKIN_VERSION=${ZIPKIN_VERSION:-3.5.1}
JAEGER_BUILD_DIR=${JAEGER_BUILD_DIR:-/work/scratch/jaeger-build}
WAIT_S=${WAIT_S:-120}
log_dir=${LOG_DIR:-$(mktemp -d)}

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

die() { echo "record: $*" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for URL: polls until URL answers 2xx or WAIT_S elapses.
wait_for() {
  local i
  for ((i = 0; i < WAIT_S * 2; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.5
  done
  die "no answer from $1 after ${WAIT_S}s (logs in $log_dir)"
}

# wait_traces BASE_URL PATH_PREFIX: polls until every trace of the set is returned by id.
wait_traces() {
  local id
  for id in 5b8efff798038103d269b633813fc60c 0af7651916cd43dd8448eb211c80319c 6b221d5bc9e6496c \
    4bf92f3577b34da6a3ce929d0e0e4736 1e223ff1f80f1c9f8a3bb0f0a1c2d3e4 f0e1d2c3b4a5968778695a4b3c2d1e0f; do
    wait_for "$1$2$id"
  done
}

# stop PID: ends one server this script started and waits for it.
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# 1. The input files: OTLP/JSON from make_input.py; Zipkin v2 JSON translated from it by otelbridge.
python3 "$here/make_input.py"
# OTELBRIDGE=path/to/otelbridge uses a built binary instead (e.g. while the tree does not compile).
if [ -n "${OTELBRIDGE:-}" ]; then translate=("$OTELBRIDGE" translate); else
  translate=(cargo run -q -p otelbridge -- translate); fi
"${translate[@]}" --from otlp-json --to zipkin-json \
  --input "$fixtures/input/traces.otlp.json" --output "$log_dir/traces.zipkin.compact.json"
python3 -m json.tool --indent 2 "$log_dir/traces.zipkin.compact.json" >"$fixtures/input/traces.zipkin.json"

# 2. Zipkin: the exec jar from Maven Central, in-memory storage (its default), on 9411.
if [ "$which" = all ] || [ "$which" = zipkin ]; then
  mvn -q dependency:get -Dtransitive=false -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec"
  jar="$HOME/.m2/repository/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
  port_free 9411 || die "port 9411 is taken"
  STORAGE_TYPE=mem java -jar "$jar" >"$log_dir/zipkin.log" 2>&1 &
  zipkin_pid=$!
  pids+=("$zipkin_pid")
  wait_for http://127.0.0.1:9411/health
  code=$(curl -s -o "$log_dir/zipkin-post.txt" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$fixtures/input/traces.zipkin.json" http://127.0.0.1:9411/api/v2/spans)
  [ "$code" = 202 ] || die "Zipkin answered $code to POST /api/v2/spans: $(cat "$log_dir/zipkin-post.txt")"
  wait_traces http://127.0.0.1:9411 /api/v2/trace/
  python3 "$here/record.py" zipkin http://127.0.0.1:9411 "$fixtures/zipkin"
  curl -sf http://127.0.0.1:9411/info | python3 -m json.tool --indent 2 >"$fixtures/zipkin/server.json"
  stop "$zipkin_pid"
fi

# 3. Jaeger: cmd/jaeger built from the Go module proxy; with no --config it runs its all-in-one config
#    (memory storage; OTLP 4317/4318, Jaeger and Zipkin receivers; query API on 16686).
if [ "$which" = all ] || [ "$which" = jaeger ]; then
  jaeger="$JAEGER_BUILD_DIR/jaeger"
  # A plain `go build` does not stamp Jaeger's own version string; the module version is in the build info.
  if ! go version -m "$jaeger" 2>/dev/null | grep -q "github.com/jaegertracing/jaeger[[:space:]]*$JAEGER_VERSION"; then
    mkdir -p "$JAEGER_BUILD_DIR"
    (
      cd "$JAEGER_BUILD_DIR"
      [ -f go.mod ] || go mod init scratch/jaegerbuild
      go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION"
      go build -o jaeger github.com/jaegertracing/jaeger/cmd/jaeger
    )
  fi
  for p in 4317 4318 16686 9411; do port_free "$p" || die "port $p is taken"; done
  "$jaeger" >"$log_dir/jaeger.log" 2>&1 &
  jaeger_pid=$!
  pids+=("$jaeger_pid")
  wait_for http://127.0.0.1:16686/api/services
  code=$(curl -s -o "$log_dir/jaeger-post.txt" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$fixtures/input/traces.otlp.json" http://127.0.0.1:4318/v1/traces)
  [ "$code" = 200 ] || die "Jaeger answered $code to POST /v1/traces: $(cat "$log_dir/jaeger-post.txt")"
  wait_traces http://127.0.0.1:16686 /api/traces/
  python3 "$here/record.py" jaeger http://127.0.0.1:16686 "$fixtures/jaeger"
  go version -m "$jaeger" | awk 'NR == 1 {print "go", $2; next} $1 == "path" || $2 == "github.com/jaegertracing/jaeger" {$1 = $1; print}' | python3 -c \
    'import json,sys; print(json.dumps({"go_build_info": sys.stdin.read().split("\n")[:-1]}, indent=2))' \
    >"$fixtures/jaeger/server.json"
  stop "$jaeger_pid"
fi
echo "record: done; server logs in $log_dir"
