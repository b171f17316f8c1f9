#!/usr/bin/env python3
"""SIGTERM drains: a request under way when `tollgate serve` is told to stop still gets its whole answer and its
usage record; new connections are refused once it stops listening; the process exits cleanly.
Usage: draintest.py path/to/tollgate"""
import http.client, json, re, signal, sqlite3, sys, time

from serveprocess import start_serve

serve, db, key, port = start_serve(sys.argv[1])

conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
body = json.dumps({"model": "mock-small", "messages": [{"role": "user", "content": "[mock:delay=1500] slow one"}]})
conn.request("POST", "/v1/chat/completions", body, {"Authorization": f"Bearer {key}"})
# The request is under way once the gateway counts it in flight (/metrics); a request whose bytes were not read
# yet is not under way, and on a busy machine that takes a moment. Bounded: 10 s.
deadline = time.monotonic() + 10
while True:
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    probe.request("GET", "/metrics")
    metrics = probe.getresponse().read().decode()
    if re.search(r"^tollgate_requests_in_flight 1$", metrics, re.M):
        break
    assert time.monotonic() < deadline, "the request never came under way"
    time.sleep(0.01)
serve.send_signal(signal.SIGTERM)
r = conn.getresponse()
data = json.loads(r.read())
assert r.status == 200, r.status
assert data["usage"]["completion_tokens"] > 0
request_id = r.getheader("x-request-id")
rc = serve.wait(30)
assert rc == 0, f"exit code {rc}"
row = sqlite3.connect(db).execute("SELECT status FROM usage_records WHERE request_id = ?", (request_id,)).fetchone()
assert row and row[0] == "ok", row
try:
    http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
    raise AssertionError("still accepting after stop")
except ConnectionRefusedError:
    pass
print("drain test: the request under way at SIGTERM was answered and recorded; serve exited 0")
