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
# The demo organisation, with its limits raised so the benchmark measures admission rather than refusals (every
# limit is still checked and reserved), and the mock provider reached over HTTP like a real one.
"$TG" reset-demo --db "$work/t.db" > "$work/demo.log"
KEY="$(grep -o 'tg-[A-Za-z0-9]*' "$work/demo.log")"
python3 - "$work/t.db" $MOCK <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def loosen(text):
    if not text: return text
    p = json.loads(text)
    for k, v in p.items():
        if type(v) is int and k != "maxTier": p[k] = v * 1_000_000
    return json.dumps(p)
for table, col in (("organizations", "default_policy"), ("org_groups", "settings"), ("users", "policy")):
    for rowid, text in db.execute(f"SELECT id, {col} FROM {table}").fetchall():
        db.execute(f"UPDATE {table} SET {col} = ? WHERE id = ?", (loosen(text), rowid))
db.execute("UPDATE providers SET base_url = ? WHERE name = 'mock'", (f"http://127.0.0.1:{sys.argv[2]}/v1",))
db.commit()
PY
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
run() { # label port connections [timeout]
    local out
    out="$(wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${SECONDS_PER_RUN}s" --timeout "${4:-5}s" --latency -s "$work/req.lua" "http://127.0.0.1:$2/v1/chat/completions")"
    local rps p50 p99 errors
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
    p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
    printf "%-44s %10s req/s   p50 %9s   p99 %9s   %s\n" "$1" "$rps" "$p50" "$p99" "$errors" >&2
    echo "$rps"
}
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}x')"; }

echo "gateway benchmark: ${SECONDS_PER_RUN}s per run, $(nproc) cores, everything on 127.0.0.1" >&2
lua '{"model":"mock-small","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
d1="$(run "mock direct, 1 connection" $MOCK 1)"
n1="$(run "nginx -> mock, 1 connection" $NG 1)"
t1="$(run "tollgate -> mock, 1 connection" $GW 1)"
n64="$(run "nginx -> mock, 64 connections" $NG 64)"
t64="$(run "tollgate -> mock, 64 connections" $GW 64)"
lua '{"model":"mock-small","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
ns="$(run "nginx -> mock, 64 connections, streamed" $NG 64)"
ts="$(run "tollgate -> mock, 64 connections, streamed" $GW 64)"
lua '{"model":"mock-small","max_tokens":16,"messages":[{"role":"user","content":"[mock:delay=1000] hi"}]}'
rss0="$(awk '/VmRSS/ {print $2}' /proc/$GWPID/status)"
t2k="$(run "tollgate -> mock (1 s), 2000 connections" $GW 2000 5 &
        wpid=$!; until [ "$(ss -Htn state established "( sport = :$GW )" | wc -l)" -ge 1900 ]; do :; done
        awk '/VmRSS/ {print $2}' /proc/$GWPID/status > "$work/rss2k"; wait $wpid)"
rss2k="$(cat "$work/rss2k")"
echo >&2
echo "ratios (same run):" >&2
echo "  64 connections, small completions: tollgate/nginx = $(ratio "$t64" "$n64")" >&2
echo "  64 connections, streamed:           tollgate/nginx = $(ratio "$ts" "$ns")" >&2
echo "  1 connection: requests/s direct $d1, via nginx $n1, via tollgate $t1" >&2
echo "  2000 connections, 1 s upstream: $t2k req/s = $(ratio "$t2k" 2000) of the ideal 2000/s" >&2
echo "  resident memory: $((rss0 / 1024)) MiB idle, $((rss2k / 1024)) MiB with ~2000 calls in flight:" \
     "$(( (rss2k - rss0) / 2000 )) KiB per call in flight" >&2
sqlite3_count="$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from usage_records where request_id like 'req_%'\").fetchone()[0])" "$work/t.db")"
echo "  usage records written during the run: $sqlite3_count" >&2
