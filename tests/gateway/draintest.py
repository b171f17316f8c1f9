#!/usr/bin/env python3
"""SIGTERM drains: a request under way when `tollgate serve` is told to stop still gets its whole answer and its
usage record; new connections are refused once it stops listening; the process exits cleanly.
Usage: draintest.py path/to/tollgate"""
import http.client, json, signal, sqlite3, sys

from serveprocess import start_serve

serve, db, key, port = start_serve(sys.argv[1])

conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
body = json.dumps({"model": "mock-small", "messages": [{"role": "user", "content": "[mock:delay=1500] slow one"}]})
conn.request("POST", "/v1/chat/completions", body, {"Authorization": f"Bearer {key}"})
# The request is in flight once the gateway has it; ask the health route on another connection to be sure it was read.
probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
probe.request("GET", "/healthz")
assert probe.getresponse().status == 200
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
