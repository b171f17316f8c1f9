#!/usr/bin/env python3
"""Hostile and broken clients against a real `tollgate serve --demo`: deep pipelines, clients that never read, HTTP/1.0
chunked bodies, half-closed connections, a lower-case Bearer scheme. The gateway must answer every well-formed
request in order, never crash, keep its memory bounded and keep serving everyone else, and lose no usage record.
Usage: hostile.py path/to/tollgate"""
import json, os, socket, sqlite3, sys, threading, time, urllib.request

from serveprocess import start_serve

serve, db, key, port, owner = start_serve(sys.argv[1], admin=True)
failures = []
# Under AddressSanitizer freed memory is held in quarantine, so RSS says nothing about what the gateway keeps.
MEASURE_MEMORY = not os.environ.get("TOLLGATE_SANITIZED")


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def rss_kib():
    with open(f"/proc/{serve.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def alive():
    return serve.poll() is None


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_closed(s, limit=1 << 26):
    data = b""
    while len(data) < limit:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def chat_body(content, stream=False, model="mock-small", **extra):
    return json.dumps({"model": model, "stream": stream, "messages": [{"role": "user", "content": content}], **extra})


def post(path, body, headers=(), version="1.1"):
    lines = [f"POST {path} HTTP/{version}", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def admin(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/admin{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {owner}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def pipelined(raw_one, count, expect):
    """Sends count copies of a request on one connection while reading; returns how many `expect` answers came."""
    s = connect()
    payload = raw_one * count

    def send():
        try:
            s.sendall(payload)
        except OSError:
            pass

    sender = threading.Thread(target=send)
    sender.start()
    seen = 0
    tail = b""
    deadline = time.monotonic() + 120
    while seen < count and time.monotonic() < deadline:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            break
        if not chunk:
            break
        data = tail + chunk
        seen += data.count(expect)
        tail = data[-len(expect) + 1:]
    sender.join()
    s.close()
    return seen


# 1. Deep pipelines: every request answered, in order, with a constant stack (20,000 once overflowed it).
healthz = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
n = pipelined(healthz, 20_000, b"HTTP/1.1 200 ")
check(n == 20_000 and alive(), f"20,000 pipelined /healthz: {n} answered, gateway alive: {alive()}")
unauthenticated = post("/v1/chat/completions", chat_body("hi"))
n = pipelined(unauthenticated, 10_000, b"HTTP/1.1 401 ")
check(n == 10_000 and alive(), f"10,000 pipelined unauthenticated chats: {n} answered, gateway alive: {alive()}")

# 2. A client that pipelines as fast as it can and never reads: the gateway stops reading it (TCP pushes back), so
# its memory stays bounded, and others are still served meanwhile.
before = rss_kib()
flood = connect()
flood.setblocking(False)
sent = 0
stop = time.monotonic() + 2
while time.monotonic() < stop:
    try:
        sent += flood.send(healthz * 512)
    except BlockingIOError:
        time.sleep(0.01)
grew = rss_kib() - before
r = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
check(r.status == 200, "another client is served while one floods without reading")
check(grew < 16 * 1024 or not MEASURE_MEMORY, f"a flooding client that never reads grew the gateway by {grew} KiB (sent {sent} bytes)")
flood.close()

# 3. Framing. HTTP/1.0 with Transfer-Encoding: its framing cannot be trusted (RFC 9112 §6.1): answer, then close,
# even though the client asked to keep the connection alive.
body = chat_body("framing").encode()
chunked = (b"POST /v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
           b"Authorization: Bearer " + key.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
           + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n" + healthz)
s = connect()
s.sendall(chunked)
data = read_until_closed(s)
s.close()
check(data.startswith(b"HTTP/1.1 200 ") and data.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in data,
      f"HTTP/1.0 chunked on keep-alive: one answer and a close, got {data[:200]!r} ({data.count(b'HTTP/1.1 ')} answers)")

# A client that half-closes right after a complete keep-alive request still gets its answer, then the close.
answered = 0
for i in range(50):
    s = connect()
    s.sendall(healthz)
    s.shutdown(socket.SHUT_WR)
    answered += read_until_closed(s).startswith(b"HTTP/1.1 200 ")
    s.close()
check(answered == 50, f"half-closed /healthz: {answered} of 50 answered")
answered = 0
for i in range(10):
    s = connect()
    s.sendall(post("/v1/chat/completions", chat_body(f"half-closed {i} [mock:delay=20]"),
                   [f"Authorization: Bearer {key}"]))
    s.shutdown(socket.SHUT_WR)
    data = read_until_closed(s)
    answered += data.startswith(b"HTTP/1.1 200 ") and b'"usage"' in data
    s.close()
check(answered == 10, f"half-closed chats (answered later, from the provider): {answered} of 10 answered")

# 4. RFC 9110 §11.1: the authentication scheme is case-insensitive.
for scheme in ("bearer", "BEARER", "Bearer"):
    s = connect()
    s.sendall(post("/v1/chat/completions", chat_body("case"), [f"Authorization: {scheme} {key}", "Connection: close"]))
    data = read_until_closed(s)
    s.close()
    check(data.startswith(b"HTTP/1.1 200 "), f"Authorization: {scheme} <key> answered {data[:40]!r}")

# 5. Backpressure: a stream toward a client that does not read. The gateway holds at most its stream buffer and
# stops reading the provider; memory stays flat and other clients keep being served; once the client reads, the
# whole stream arrives and is metered exactly.
models = admin("GET", "/models")["data"]
small = next(m for m in models if m["id"] == "mock-small")
admin("PATCH", "/models/mock-small", {"max_output_tokens": 400_000, "version": small.get("version")} if "version" in small
      else {"max_output_tokens": 400_000})
TOKENS = 300_000  # about 50 MB of events
warm = connect()
warm.sendall(post("/v1/chat/completions", chat_body("[mock:tokens=2000] warm", stream=True),
                  [f"Authorization: Bearer {key}", "Connection: close"]))
read_until_closed(warm)
warm.close()
before = rss_kib()
slow = connect()
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
slow.sendall(post("/v1/chat/completions", chat_body(f"[mock:tokens={TOKENS}] slow reader", stream=True),
                  [f"Authorization: Bearer {key}", "Connection: close"]))
head = slow.recv(4096)
check(head.startswith(b"HTTP/1.1 200 "), f"the slow reader's stream started: {head[:60]!r}")
latencies = []
peak = 0
for i in range(40):
    t = time.monotonic()
    r = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
    r.read()
    latencies.append(time.monotonic() - t)
    peak = max(peak, rss_kib() - before)
    time.sleep(0.05)
check(peak < 16 * 1024 or not MEASURE_MEMORY, f"a client not reading a {TOKENS}-token stream grew the gateway by {peak} KiB")
check(max(latencies) < 1.0, f"other clients waited up to {max(latencies) * 1000:.0f} ms meanwhile")
slow.settimeout(60)
rest = read_until_closed(slow, limit=1 << 30)
slow.close()
request_id = next((l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n")
                   if l.lower().startswith(b"x-request-id:")), "")
check(rest.endswith(b"data: [DONE]\n\n") or rest.endswith(b"0\r\n\r\n"), "the slow reader got the whole stream")
con = sqlite3.connect(db)
row = None
deadline = time.monotonic() + 10
while row is None and time.monotonic() < deadline:
    row = con.execute("SELECT output_tokens, status, estimated FROM usage_records WHERE request_id = ?",
                      (request_id,)).fetchone()
    if row is None:
        time.sleep(0.1)
check(row is not None and row[0] == TOKENS and row[1] == "ok" and not row[2],
      f"the slow reader's stream is metered exactly: {row}")

check(alive(), "the gateway survived every client")
serve.terminate()
serve.wait(30)
print(f"hostile clients: {len(failures)} failed")
sys.exit(1 if failures else 0)
