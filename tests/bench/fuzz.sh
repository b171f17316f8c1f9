#!/usr/bin/env bash
# Runs each libFuzzer target (the "asan" preset: clang, AddressSanitizer + UndefinedBehaviorSanitizer) for at least
# RUNS executions (default 10 million) from its committed seed corpus, JOBS targets at a time, and prints per target
# the executions, the executions per second, the coverage reached and whether it crashed.
# Usage: tests/bench/fuzz.sh [RUNS] [JOBS]; FUZZ_TARGETS="fuzz_sse fuzz_usage" runs some of them. New inputs go to
# build-asan/tests/fuzz/new/<target>, crashes to build-asan/tests/fuzz/crashes/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-10000000}"
JOBS="${2:-$(nproc)}"
TOLLGATE_TEST_SERVERS=1 source "$ROOT/.ci/setup" >/dev/null
cd "$ROOT"
cmake --preset asan >/dev/null
cmake --build --preset asan --parallel "$(nproc)" >/dev/null
OUT="$ROOT/build-asan/tests/fuzz"
mkdir -p "$OUT/crashes"
read -r -a targets <<< "${FUZZ_TARGETS:-fuzz_request_parser fuzz_chunked fuzz_sse fuzz_usage fuzz_admin_fields fuzz_customer_params}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run() {
    local t="$1"
    mkdir -p "$OUT/new/$t"
    "$OUT/$t" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t-" \
        "$OUT/new/$t" "$ROOT/tests/fuzz/corpus/$t" > "$OUT/$t.log" 2>&1
    local rc=$?
    local execs speed cov
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$t.log" | grep -o '[0-9]*$' || echo 0)"
    speed="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$OUT/$t.log" | grep -o '[0-9]*$' || echo 0)"
    cov="$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -1 | grep -o '[0-9]*$' || echo 0)"
    printf '%-22s %12s executions %8s/s  coverage %5s  %s\n' "$t" "$execs" "$speed" "$cov" \
        "$([ $rc -eq 0 ] && echo 'no crash' || echo "CRASHED (see $OUT/$t.log)")"
}
export -f run
export OUT ROOT RUNS
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'run {}'
