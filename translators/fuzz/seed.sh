#!/usr/bin/env bash
# Fills corpus/<target>/ with valid inputs so the fuzzer starts deep inside each decoder:
# every real Zipkin trace of ../shared/corpora/zipkin-v2 translated into every format with
# `otelbridge translate`. Run from anywhere; the corpus folders are git-ignored.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpora="$repo/../shared/corpora/zipkin-v2"
if [ ! -d "$corpora" ]; then
    echo "skipped: corpus not found at $corpora" >&2
    exit 0
fi
cargo build -q --manifest-path "$repo/Cargo.toml" -p otelbridge
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/otelbridge"
formats=(otlp-json otlp-proto jaeger-thrift-compact jaeger-thrift-binary jaeger-proto jaeger-json
         zipkin-json zipkin-proto zipkin-v1-json zipkin-v1-thrift)
for format in "${formats[@]}"; do
    target="decode_${format//-/_}"
    mkdir -p "$here/corpus/$target"
    for trace in "$corpora"/*.json; do
        name="$(basename "$trace" .json)"
        # A format that cannot take a trace (exit 1) or rejects spans (exit 3) still seeds.
        "$bin" translate --from zipkin-json --to "$format" --input "$trace" \
            --output "$here/corpus/$target/$name" 2>/dev/null || true
    done
done
# transcode_differential: first byte = (format index << 1) | direction (0: format → OTLP proto).
mkdir -p "$here/corpus/transcode_differential"
for i in "${!formats[@]}"; do
    target="decode_${formats[$i]//-/_}"
    for f in "$here/corpus/$target/"*; do
        [ -s "$f" ] || continue
        { printf "\\$(printf '%03o' $((i * 2)))"; cat "$f"; } > "$here/corpus/transcode_differential/${formats[$i]}-$(basename "$f")"
    done
    for f in "$here/corpus/decode_otlp_proto/"*; do
        [ -s "$f" ] || continue
        { printf "\\$(printf '%03o' $((i * 2 + 1)))"; cat "$f"; } > "$here/corpus/transcode_differential/to-${formats[$i]}-$(basename "$f")"
    done
done
mkdir -p "$here/corpus/round_trip_otlp_proto"
cp "$here/corpus/decode_otlp_proto/"* "$here/corpus/round_trip_otlp_proto/" 2>/dev/null || true
find "$here/corpus" -type f -empty -delete
echo "seeded: $(find "$here/corpus" -type f | wc -l) files under $here/corpus"
