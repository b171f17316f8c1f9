#!/usr/bin/env bash
# Gateway benchmark: Tollgate (`tollgate serve`, demo organisation, every limit walked, durable metering) against
# nginx as a plain keep-alive reverse proxy, both in front of the same `tollgate mock-upstream`, in one run on
# 127.0.0.1. Prints requests/s, p50 and p99 and the ratio to nginx. Usage: tests/bench/gateway.sh [seconds]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_PER_RUN="${1:-8}"
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if ((${#need[@]})); then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
source "$ROOT/.ci/setup" >/dev/null
TG="$BUILD_DIR/app/tollgate"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; "$NGINX" -p "$work" -c nginx.conf -s stop 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

MOCK=19100 GW=18787 NG=18788
"$TG" mock-upstream --listen 127.0.0.1:$MOCK > "$work/mock.log" & pids+=($!)
# The demo organisation grown to thousands of users, with a limit at every level the benchmark key's requests walk,
# raised so the benchmark measures admission rather than refusals (tests/bench/org.py); the mock provider is reached
# over HTTP like a real one.
"$TG" reset-demo --db "$work/t.db" > "$work/demo.log"
KEY="$(grep -o 'tg-[A-Za-z0-9]*' "$work/demo.log")"
ADMIN="$(grep -o 'tga-[A-Za-z0-9]*' "$work/demo.log")"
ORG="$(python3 "$ROOT/tests/bench/org.py" "$work/t.db" $MOCK "$KEY" 5000)"
"$TG" serve --db "$work/t.db" --listen 127.0.0.1:$GW > "$work/serve.log" & pids+=($!)
GWPID=$!
cat > "$work/nginx.conf" <<CONF
worker_processes auto; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 8192; }
http { access_log off;
  upstream mock { server 127.0.0.1:$MOCK; keepalive 512; }
  server { listen 127.0.0.1:$NG; location / { proxy_pass http://mock; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_buffering off; } } }
CONF
"$NGINX" -p "$work" -c nginx.conf
for port in $MOCK $GW $NG; do
    until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do kill -0 "$GWPID" || { cat "$work/serve.log"; exit 1; }; done
done

lua() { # body
    cat > "$work/req.lua" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
}
cpu() { # pid... -> CPU ticks used so far by these processes (all threads)
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    echo "$t"
}
run() { # label port connections [seconds] [timeout]
    local out
    out="$(wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${4:-$SECONDS_PER_RUN}s" --timeout "${5:-5}s" --latency -s "$work/req.lua" "http://127.0.0.1:$2/v1/chat/completions")"
    local rps p50 p99 errors
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
    p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
    printf "%-44s %10s req/s   p50 %9s   p99 %9s   %s\n" "$1" "$rps" "$p50" "$p99" "$errors" >&2
    echo "$rps $(awk '/requests in/ {print $1}' <<<"$out") $p50"
}
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}x')"; }
us() { # wrk's "123.00us", "1.23ms" or "1.08s" -> microseconds
    python3 -c "import sys; v = sys.argv[1]; print(next(round(float(v[:-len(u)]) * m) for u, m in (('us', 1), ('ms', 1e3), ('s', 1e6)) if v.endswith(u)))" "$1"
}
per_request() { # ticks requests -> microseconds of CPU per request
    python3 -c "print(round($1 * 1e6 / $(getconf CLK_TCK) / $2, 1))"
}
metric() { curl -s "http://127.0.0.1:$GW/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

NGPIDS=($(pgrep -f "nginx: worker process" | while read -r p; do grep -q "$work" "/proc/$(awk '{print $4}' /proc/$p/stat)/cmdline" 2>/dev/null && echo "$p"; done))
[ ${#NGPIDS[@]} -gt 0 ] || NGPIDS=($(pgrep -f "nginx: worker process"))
LIMITS="$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$GW/api/admin/explain?key_id=$(awk '{print $NF}' <<<"$ORG")&model=mock-small&max_tokens=16" \
    | python3 -c "import json,sys; print(len(json.load(sys.stdin)['limits']))")"

echo "gateway benchmark: ${SECONDS_PER_RUN}s per run, $(nproc) cores, everything on 127.0.0.1" >&2
echo "organisation: $ORG; every request walks $LIMITS limits; metering journalled and written to SQLite" >&2
lua '{"model":"mock-small","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
read -r d1 _ d1p50 <<<"$(run "mock direct, 1 connection" $MOCK 1)"
read -r n1 _ n1p50 <<<"$(run "nginx -> mock, 1 connection" $NG 1)"
read -r t1 _ t1p50 <<<"$(run "tollgate -> mock, 1 connection" $GW 1)"
c0="$(cpu "${NGPIDS[@]}")"
read -r n64 n64count _ <<<"$(run "nginx -> mock, 64 connections" $NG 64)"
ncpu="$(per_request $(( $(cpu "${NGPIDS[@]}") - c0 )) "$n64count")"
c0="$(cpu $GWPID)"
read -r t64 t64count _ <<<"$(run "tollgate -> mock, 64 connections" $GW 64)"
tcpu="$(per_request $(( $(cpu $GWPID) - c0 )) "$t64count")"
lua '{"model":"mock-small","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
read -r ns _ _ <<<"$(run "nginx -> mock, 64 connections, streamed" $NG 64)"
read -r ts _ _ <<<"$(run "tollgate -> mock, 64 connections, streamed" $GW 64)"
# 2,000 connections against a provider that takes 1 s: the best any proxy can do is what the client gets from the
# mock directly in the same time (wrk counts the first second, in which nothing completes, too).
SLOW_SECONDS=$(( SECONDS_PER_RUN < 10 ? 10 : SECONDS_PER_RUN ))
lua '{"model":"mock-small","max_tokens":16,"messages":[{"role":"user","content":"[mock:delay=1000] hi"}]}'
read -r d2k _ _ <<<"$(run "mock direct (1 s), 2000 connections" $MOCK 2000 $SLOW_SECONDS)"
read -r t2k _ _ <<<"$(run "tollgate -> mock (1 s), 2000 connections" $GW 2000 $SLOW_SECONDS)"
# Memory per stream in flight: 2,000 streams whose provider pauses after the first event, on a gateway that has
# served one request since it started.
kill $GWPID; wait $GWPID 2>/dev/null || true
"$TG" serve --db "$work/t.db" --listen 127.0.0.1:$GW > "$work/serve2.log" & pids+=($!)
GWPID=$!
until curl -s -o /dev/null "http://127.0.0.1:$GW/healthz"; do kill -0 "$GWPID"; done
lua '{"model":"mock-small","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"[mock:stall=4000] hi"}]}'
curl -s -o /dev/null -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
    -d '{"model":"mock-small","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}' \
    "http://127.0.0.1:$GW/v1/chat/completions"
rss0="$(awk '/VmRSS/ {print $2}' /proc/$GWPID/status)"
wrk -t2 -c2000 -d6s --timeout 8s -s "$work/req.lua" "http://127.0.0.1:$GW/v1/chat/completions" > /dev/null &
wpid=$!
inflight=0
until [ "${inflight%.*}" -ge 1900 ] || ! kill -0 $wpid 2>/dev/null; do inflight="$(metric tollgate_requests_in_flight)"; inflight="${inflight:-0}"; done
rss2k="$(awk '/VmRSS/ {print $2}' /proc/$GWPID/status)"
inflight="$(metric tollgate_requests_in_flight)"
wait $wpid

echo >&2
echo "ratios (same run):" >&2
echo "  64 connections, small completions: tollgate/nginx = $(ratio "$t64" "$n64")   (target >= 0.5x)" >&2
echo "  64 connections, streamed:           tollgate/nginx = $(ratio "$ts" "$ns")   (target >= 0.5x)" >&2
echo "  1 connection, median latency: direct $(us "$d1p50") us, nginx +$(( $(us "$n1p50") - $(us "$d1p50") )) us," \
     "tollgate +$(( $(us "$t1p50") - $(us "$d1p50") )) us   (target <= +100 us)" >&2
echo "  2000 connections, 1 s provider: tollgate $t2k req/s = $(ratio "$t2k" "$d2k") of the mock direct ($d2k req/s)" \
     "  (target >= 0.95x, no errors)" >&2
echo "  CPU per request at 64 connections: tollgate $tcpu us, nginx $ncpu us" >&2
echo "  resident memory: $((rss0 / 1024)) MiB after one request, $((rss2k / 1024)) MiB with ${inflight%.*} streams in" \
     "flight: $(( (rss2k - rss0) / ${inflight%.*} )) KiB per stream   (target <= 32 KiB)" >&2
python3 -c "import sqlite3,sys; print('  usage records written during the run:', sqlite3.connect(sys.argv[1]).execute(\"select count(*) from usage_records where request_id like 'req_%'\").fetchone()[0])" "$work/t.db" >&2
