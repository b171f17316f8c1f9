#!/usr/bin/env bash
# Runs the official openai and @anthropic-ai/sdk clients against a live `tollgate serve` on the demo organisation with
# the built-in mock provider, then checks that every request they made has its usage record, with tokens and cost.
# Usage: tests/sdk/run.sh path/to/tollgate
set -euo pipefail
tollgate="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

if [ ! -d "$here/node_modules/openai" ] || [ ! -d "$here/node_modules/@anthropic-ai/sdk" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

mkfifo "$work/out"
"$tollgate" serve --db "$work/t.db" --demo --listen 127.0.0.1:0 > "$work/out" 2>"$work/err" &
pid=$!
key="" url=""
while IFS= read -r line; do
    echo "serve: $line"
    case "$line" in
        *"demo API key"*) key="$(grep -o 'tg-[A-Za-z0-9]*' <<<"$line")" ;;
        *"listening on "*) url="${line##*listening on }"; break ;;
    esac
done < "$work/out"
cat "$work/out" > /dev/null &
[ -n "$key" ] && [ -n "$url" ] || { echo "serve did not start"; cat "$work/err"; exit 1; }

TOLLGATE_URL="$url" TOLLGATE_KEY="$key" node "$here/clients.mjs" > "$work/expect.jsonl"

python3 - "$work/t.db" "$work/expect.jsonl" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = 0
for line in open(sys.argv[2]):
    e = json.loads(line)
    row = db.execute("SELECT status, streamed, output_tokens, input_tokens, cost, estimated, model FROM usage_records"
                     " WHERE request_id = ?", (e["id"],)).fetchone()
    assert row, f"no usage record for {e['id']}"
    status, streamed, output, input_, cost, estimated, model = row
    assert status == e["status"], f"{e['id']}: status {status}, expected {e['status']}"
    assert streamed == e["streamed"], f"{e['id']}: streamed {streamed}"
    assert output >= e["minOutput"], f"{e['id']}: {output} output tokens"
    if status == "ok":
        assert input_ > 0 and cost > 0 and not estimated, f"{e['id']}: input {input_}, cost {cost}, estimated {estimated}"
    n += 1
assert n == 7, f"{n} requests were checked, expected 7"
print(f"sdk clients: {n} usage records checked")
PY
