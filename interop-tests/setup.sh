#!/usr/bin/env bash
# Installs the real client libraries driven by the end-to-end suites (bridge/tests/e2e_real_clients.rs,
# bridge/tests/e2e_exporters_real_decoders.rs):
#   interop-tests/.venv/<name>/            one Python venv per requirements file in
#                                          emitters/python/requirements/ and sinks/python/requirements/
#                                          (pinned, pip freeze)
#   interop-tests/emitters/node/node_modules/   npm ci from the committed package-lock.json
#   interop-tests/.venv/go/{zipkin,jaeger}-sink   go build of sinks/go (zipkin-go; jaeger-idl types)
#   interop-tests/.venv/java/lib/          the Zipkin server's codec jar (sinks/java/pom.xml, mvn)
# Needs python3 (3.11 tested), node 20 + npm, go >= 1.26, Java 17 + mvn, and access to PyPI, the npm
# registry, the Go module proxy and Maven Central.
# Idempotent and quick when nothing changed: a venv is (re)installed only when its requirements
# file changed since the last successful install, node_modules only when package-lock.json did.
#   bash interop-tests/setup.sh          # install what is missing or stale
#   FORCE=1 bash interop-tests/setup.sh  # reinstall everything
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
start=$(date +%s)

# fresh FILE DIR: true when DIR/.installed-from holds FILE's content (installed from this exact file).
fresh() { [ -z "${FORCE:-}" ] && [ -f "$2/.installed-from" ] && cmp -s "$1" "$2/.installed-from"; }

pids=()
names=()
for req in emitters/python/requirements/*.txt sinks/python/requirements/*.txt; do
  name=$(basename "$req" .txt)
  dir=.venv/$name
  if fresh "$req" "$dir"; then
    echo "setup: python $name: up to date"
    continue
  fi
  (
    rm -rf "$dir"
    # A venv without its own pip, filled by the host's pip (--python, pip >= 22.3): seeding pip
    # into each venv costs ~3 s of CPU apiece (10 s on a busy machine). Older pip: seed it.
    "$PYTHON" -m venv --without-pip "$dir"
    if "$PYTHON" -m pip --python "$dir/bin/python" --version >/dev/null 2>&1; then
      pip=("$PYTHON" -m pip --python "$dir/bin/python")
    else
      "$dir/bin/python" -m ensurepip -q
      pip=("$dir/bin/python" -m pip)
    fi
    "${pip[@]}" install -q --disable-pip-version-check --no-input -r "$req"
    cp "$req" "$dir/.installed-from"
  ) &
  pids+=($!)
  names+=("python $name")
done

node_dir=emitters/node
if fresh "$node_dir/package-lock.json" "$node_dir/node_modules"; then
  echo "setup: node: up to date"
else
  (
    cd "$node_dir"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.installed-from
  ) &
  pids+=($!)
  names+=("node")
fi

# The Go sinks (openzipkin's zipkin-go; the Jaeger project's jaeger-idl types): rebuilt when their sources or
# module files changed. The first build compiles grpc-go too (~45 s of CPU); later ones hit the Go cache.
go_dir=sinks/go
go_out=.venv/go
go_stamp=$(cat "$go_dir"/go.mod "$go_dir"/go.sum "$go_dir"/*/*.go | cksum)
if [ -z "${FORCE:-}" ] && [ -x "$go_out/zipkin-sink" ] && [ -x "$go_out/jaeger-sink" ] \
  && [ "$(cat "$go_out/.installed-from" 2>/dev/null)" = "$go_stamp" ]; then
  echo "setup: go sinks: up to date"
else
  (
    mkdir -p "$go_out"
    rm -f "$go_out/.installed-from"
    cd "$go_dir"
    go build -buildvcs=false -o ../../"$go_out"/ ./zipkin-sink ./jaeger-sink
    cd - >/dev/null
    echo "$go_stamp" >"$go_out/.installed-from"
  ) &
  pids+=($!)
  names+=("go sinks")
fi

# The Zipkin server's own codec (a jar, no dependencies) for sinks/java/ZipkinJavaSink.java.
java_out=.venv/java
if fresh sinks/java/pom.xml "$java_out"; then
  echo "setup: java zipkin: up to date"
else
  (
    rm -rf "$java_out"
    mkdir -p "$java_out"
    mvn -q -B -Dstyle.color=never -f sinks/java/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$java_out/lib"
    cp sinks/java/pom.xml "$java_out/.installed-from"
  ) &
  pids+=($!)
  names+=("java zipkin")
fi

# The installs run in parallel (mostly download time); report each.
failed=()
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    echo "setup: ${names[$i]}: installed"
  else
    failed+=("${names[$i]}")
  fi
done
echo "setup: done in $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "setup: FAILED: ${failed[*]}" >&2
  exit 1
fi
