#!/usr/bin/env python3
"""Kills a real `tollgate serve` with SIGKILL under load, restarts it on the same database, and checks that every
response a client received in full has its usage record. Usage: killtest.py path/to/tollgate"""
import http.client, json, signal, sqlite3, subprocess, sys, threading

from serveprocess import start_serve

serve, db, key, port = start_serve(sys.argv[1])

received = []  # request ids of responses read to their last byte
lock = threading.Lock()
enough = threading.Event()
TARGET = 600

def client(n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while True:
        i += 1
        stream = (i + n) % 3 == 0
        body = json.dumps({"model": "mock-small", "stream": stream, "user": f"c{n}",
                           "messages": [{"role": "user", "content": f"request {n}-{i}"}],
                           "customer_params": {"customer_identifier": f"kill-{n}"}})
        try:
            conn.request("POST", "/v1/chat/completions", body,
                         {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()  # raises if the connection dies before the last byte
            if stream and r.status == 200 and not data.endswith(b"data: [DONE]\n\n"):
                return
        except Exception:
            return
        with lock:
            received.append(r.getheader("x-request-id"))
            if len(received) >= TARGET:
                enough.set()

threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
for t in threads:
    t.start()
assert enough.wait(120), f"only {len(received)} responses arrived"
serve.send_signal(signal.SIGKILL)
serve.wait()
for t in threads:
    t.join()

# Restart on the same database: it opens, recovers its write-ahead log, and reports.
info = subprocess.run([sys.argv[1], "info", "--db", db], capture_output=True, text=True, check=True)
con = sqlite3.connect(db)
ids = {row[0] for row in con.execute("SELECT request_id FROM usage_records WHERE request_id <> ''")}
missing = [r for r in received if r not in ids]
print(f"kill test: {len(received)} responses received in full before SIGKILL, {len(ids)} usage records after restart, "
      f"{len(missing)} missing")
assert not missing, f"responses without a usage record: {missing[:5]}"
assert len(received) >= TARGET
