#!/usr/bin/env bash
# Runs today's LLM clients (pinned in package-lock.json) against a live `tollgate serve` on the demo organisation:
# the SDKs of clients.mjs, then the `claude` CLI (Claude Code) and the `codex` CLI, unchanged, with the catalog as
# shipped. The catalog's openai and anthropic providers are pointed at `tollgate mock-upstream` (the mock provider over
# HTTP), so today's model ids take the same path as with the real providers. Then every request they made is checked
# against its usage record: status, streamed, tokens, and a cost that is exactly the catalog's prices.
# Usage: tests/sdk/run.sh path/to/tollgate
set -euo pipefail
tollgate="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

if [ ! -x "$here/node_modules/.bin/codex" ] || [ ! -x "$here/node_modules/.bin/claude" ] \
    || [ ! -d "$here/node_modules/@langchain/openai" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Starts a tollgate command and waits for the line announcing its URL (and the keys, for serve).
start() { # name, args...
    local name="$1"
    shift
    mkfifo "$work/$name.out"
    "$tollgate" "$@" > "$work/$name.out" 2> "$work/$name.err" &
    pids+=($!)
}
start mock mock-upstream --listen 127.0.0.1:0
read -r line < "$work/mock.out"
mock="${line##*listening on }"
cat "$work/mock.out" > /dev/null &

start serve serve --db "$work/t.db" --demo --listen 127.0.0.1:0
key="" admin="" url=""
while IFS= read -r line; do
    echo "serve: $line"
    case "$line" in
        *"demo API key"*) key="$(grep -o 'tg-[A-Za-z0-9]*' <<<"$line")" ;;
        *"admin key"*) admin="$(grep -o 'tga-[A-Za-z0-9]*' <<<"$line")" ;;
        *"listening on "*) url="${line##*listening on }"; break ;;
    esac
done < "$work/serve.out"
cat "$work/serve.out" > /dev/null &
[ -n "$key" ] && [ -n "$admin" ] && [ -n "$url" ] && [[ "$mock" == http* ]] \
    || { echo "serve or mock-upstream did not start"; cat "$work/serve.err" "$work/mock.err"; exit 1; }

api() { # method, path, body
    curl -sS --fail-with-body -X "$1" "$url/api/admin$2" -H "Authorization: Bearer $admin" -d "${3:-}"
}
api PATCH /providers/1 "{\"base_url\":\"$mock/v1\",\"secret\":\"sk-mock-openai\"}" > /dev/null
api PATCH /providers/2 "{\"base_url\":\"$mock\",\"secret\":\"sk-ant-mock\"}" > /dev/null
# The demo organisation stops at tier 4; Claude Code's default model is tier 5.
api PATCH /organizations/1/policy '{"max_tier":5}' > /dev/null
project="$(api POST /projects '{"name":"SDK tests"}' | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)"
capped="$(api POST /keys "{\"name\":\"capped\",\"project_id\":$project,\"limit\":0.000001}" \
    | grep -o '"key":"tg-[A-Za-z0-9]*' | cut -d'"' -f4)"

saas="$(api POST /keys "{\"name\":\"saas\",\"project_id\":$project,\"features\":[\"chat\",\"messages\",\"customer_limits\"]}" \
    | grep -o '"key":"tg-[A-Za-z0-9]*' | cut -d'"' -f4)"

TOLLGATE_URL="$url" TOLLGATE_KEY="$key" TOLLGATE_CAPPED_KEY="$capped" TOLLGATE_SAAS_KEY="$saas" node "$here/clients.mjs" > "$work/expect.jsonl"

# Claude Code, as a developer runs it: its default model, a throwaway home, no telemetry or updates.
export DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
mkdir -p "$work/home"
claude() { # key, prompt, more arguments
    local key="$1" prompt="$2"
    shift 2
    HOME="$work/home" ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY="$key" "$here/node_modules/.bin/claude" -p "$prompt" "$@"
}
# A CLI's answer names the mock provider and the model it went to: one streamed record of that model is expected.
answers() { # model, more fields of the expected record, command...
    local model="$1" fields="$2" out
    shift 2
    out="$("$@" 2>&1)" || { echo "$1 failed: $out"; exit 1; }
    grep -q "Tollgate mock provider ($model)" <<<"$out" || { echo "$1: $out"; exit 1; }
    echo "{\"model\":\"$model\",\"count\":1,\"streamed\":1$fields}" >> "$work/expect.jsonl"
}
# A CLI refused by the capped key's budget says so, after one denied record.
refused() { # model, command...
    local model="$1" out
    shift
    if out="$("$@" 2>&1)"; then echo "$1 with the capped key succeeded: $out"; exit 1; fi
    grep -qi "limit" <<<"$out" || { echo "$1 refusal: $out"; exit 1; }
    echo "{\"model\":\"$model\",\"count\":1,\"streamed\":1,\"status\":\"denied\"}" >> "$work/expect.jsonl"
}
answers claude-opus-5-5 "" claude "$key" "Say hello to Tollgate"
refused claude-opus-5-5 claude "$capped" "Over budget"
# A key shared by a group: Claude Code names the member in a header of its own.
group="$(api POST /groups '{"name":"Claude Code users"}' | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)"
member="$(api POST /users '{"email":"cc@example.org","name":"Cee Cee"}' | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)"
api POST "/groups/$group/members" "{\"user_ids\":[$member]}" > /dev/null
shared="$(api POST /keys "{\"name\":\"shared\",\"project_id\":$project,\"group_ids\":[$group]}" \
    | grep -o '"key":"tg-[A-Za-z0-9]*' | cut -d'"' -f4)"
export ANTHROPIC_CUSTOM_HEADERS="X-Tollgate-User: cc@example.org"
answers claude-haiku-5-5 ",\"user\":$member" claude "$shared" "Hello as a member" --model claude-haiku-5-5
unset ANTHROPIC_CUSTOM_HEADERS

# Codex, with a provider whose base URL is the gateway: the Responses API over server-sent events. Codex retries every
# failed turn (a 404 or a budget's 429 alike, whatever x-should-retry says): its retries are off here, so that its
# refusal is one record.
mkdir -p "$work/codex"
cat > "$work/codex/config.toml" <<EOF
model_provider = "tollgate"
[model_providers.tollgate]
name = "Tollgate"
base_url = "$url/v1"
env_key = "TOLLGATE_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
EOF
codex() {
    CODEX_HOME="$work/codex" HOME="$work/home" TOLLGATE_KEY="$1" \
        "$here/node_modules/.bin/codex" exec --skip-git-repo-check -s read-only "$2" < /dev/null
}
answers gpt-6.2-sol "" codex "$key" "Say hello to Tollgate"
refused gpt-6.2-sol codex "$capped" "Over budget"

python3 - "$work/t.db" "$work/expect.jsonl" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# Anthropic's rule: cache writes at 1.25x (5 minutes) and 2x (1 hour) the input price, rounded up to the
# nano-dollar, unless the model sets its own (the prices column holds the ones set, in nano-dollars).
prices = {}
for m, i, c, o, kind, extra in db.execute(
        "SELECT m.id, input_price, cached_input_price, output_price, p.kind, m.prices"
        " FROM models m JOIN providers p ON p.id = m.provider_id"):
    extra = json.loads(extra or "{}")
    openai = kind == "openai"
    w5 = extra.get("cacheWrite", i if openai else -(-i * 5 // 4))
    w1h = extra.get("cacheWrite1h", i if openai else 2 * i)
    prices[m] = (i, c, o, w5, w1h)
writes = 0
def exact(row):
    global writes
    model, input_, cached, output, cost, extras = row
    i, c, o, w5, w1h = prices[model]
    x = json.loads(extras or "{}")
    a, b = x.get("cache_write_tokens", 0), x.get("cache_write_1h_tokens", 0)
    writes += a + b
    return cost == (input_ - cached - a - b) * i + cached * c + a * w5 + b * w1h + output * o
cols = "status, streamed, output_tokens, input_tokens, cached_tokens, cost, estimated, model, user_id, extras"
n = 0
for line in open(sys.argv[2]):
    e = json.loads(line)
    if "id" in e:
        row = db.execute(f"SELECT {cols} FROM usage_records WHERE request_id = ?", (e["id"],)).fetchone()
        assert row, f"no usage record for {e['id']}"
        rows = [row]
    else:  # a client that shows no headers: the records of the model only it uses
        status = e.get("status", "ok")
        rows = db.execute(f"SELECT {cols} FROM usage_records WHERE model = ? AND status = ?"
                          " AND request_id NOT LIKE 'demo-%'", (e["model"], status)).fetchall()
        want = e["count"]
        assert len(rows) == want, \
            f"{e['model']}: {len(rows)} {status} records, expected {want}"
        e = {"status": status, "streamed": e["streamed"], "minOutput": 1 if status == "ok" else 0, "user": e.get("user")}
    for status, streamed, output, input_, cached, cost, estimated, model, user, extras in rows:
        assert e.get("user") is None or user == e["user"], f"{e} {model}: user {user}"
        assert status == e["status"], f"{e}: status {status}"
        assert streamed == e["streamed"], f"{e} {model}: streamed {streamed}"
        assert output >= e["minOutput"], f"{e}: {output} output tokens"
        if status == "ok" and not e.get("free"):
            assert input_ > 0 and cost > 0 and not estimated, f"{e}: input {input_}, cost {cost}, estimated {estimated}"
            assert exact((model, input_, cached, output, cost, extras)), f"{e}: cost {cost} is not {model}'s prices"
        if e.get("free"):
            assert cost == 0, f"count_tokens charged {cost}"
        n += len(rows)
assert n >= 30, f"{n} requests were checked"
total = db.execute("SELECT COUNT(*) FROM usage_records WHERE request_id NOT LIKE 'demo-%'").fetchone()[0]
assert writes > 0, "no client wrote to the prompt cache (Claude Code sends cache_control)"
print(f"sdk clients, claude and codex: {n} usage records checked of {total} made; {writes} cache-write tokens billed")
PY
