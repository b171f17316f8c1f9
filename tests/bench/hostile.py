#!/usr/bin/env python3
"""Benchmarks of the gateway under hostile clients, each against a baseline taken in the same run:

- 100,000 pipelined GET /healthz on one connection: all answered, how long, the gateway's peak RSS;
- SSE passthrough: the gateway's CPU per streamed event at 1k, 10k and 100k events per stream (flat = linear),
  as a ratio to the 1k stream;
- one client that does not read a ~100 MB stream: the gateway's RSS growth, and another client's p99 latency
  meanwhile against its p99 without the slow reader.

The provider is `tollgate mock-upstream` in its own process (its CPU and memory are not the gateway's).
Usage: hostile.py path/to/tollgate"""
import json, os, socket, sqlite3, statistics, subprocess, sys, tempfile, threading, time

TG = sys.argv[1]
ROOT = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp()
db = os.path.join(work, "t.db")
procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


MOCK, GW = free_port(), free_port()
procs.append(subprocess.Popen([TG, "mock-upstream", "--listen", f"127.0.0.1:{MOCK}"], stdout=subprocess.DEVNULL))
demo = subprocess.run([TG, "reset-demo", "--db", db], capture_output=True, text=True, check=True).stdout
KEY = next(w for w in demo.split() if w.startswith("tg-"))
subprocess.run([sys.executable, os.path.join(ROOT, "org.py"), db, str(MOCK), KEY, "0"], check=True,
               stdout=subprocess.DEVNULL)
con = sqlite3.connect(db)
con.execute("UPDATE models SET max_output_tokens = 1000000 WHERE id = 'mock-small'")
con.commit()
con.close()
serve = subprocess.Popen([TG, "serve", "--db", db, "--listen", f"127.0.0.1:{GW}"], stdout=subprocess.PIPE, text=True)
procs.append(serve)
for line in serve.stdout:
    if "listening on" in line:
        break
threading.Thread(target=lambda: [None for _ in serve.stdout], daemon=True).start()


def cpu_seconds(pid):
    """CPU time of every thread of the process, in nanosecond resolution (schedstat), as seconds."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # a thread that just ended
    return total / 1e9


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connect():
    s = socket.create_connection(("127.0.0.1", GW), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request(body, stream=False):
    payload = json.dumps({"model": "mock-small", "stream": stream, "messages": [{"role": "user", "content": body}]})
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n{payload}").encode()


def read_response(s):
    """Reads one response (Content-Length or chunked) from a blocking socket; returns its bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    headers = head.lower()
    if b"content-length:" in headers:
        n = int(headers.split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < n:
            rest += s.recv(65536)
        return head + rest
    while not rest.endswith(b"0\r\n\r\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        rest += chunk
    return head + rest


peak = [0]
sampling = [True]


def sample():
    while sampling[0]:
        peak[0] = max(peak[0], rss_kib(serve.pid))
        time.sleep(0.01)


# 1. Pipelining
rss0 = rss_kib(serve.pid)
threading.Thread(target=sample, daemon=True).start()
N = 100_000
s = connect()
one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
t0 = time.monotonic()
sender = threading.Thread(target=lambda: s.sendall(one * N))
sender.start()
seen, tail = 0, b""
while seen < N:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    data = tail + chunk
    seen += data.count(b"HTTP/1.1 200 ")
    tail = data[-12:]
elapsed = time.monotonic() - t0
sender.join()
s.close()
sampling[0] = False
print(f"pipelined /healthz on one connection: {seen:,} of {N:,} answered in {elapsed:.2f} s "
      f"({seen / elapsed:,.0f}/s); gateway RSS {rss0 / 1024:.1f} MiB before, peak {peak[0] / 1024:.1f} MiB")

# 2. SSE passthrough CPU per event
s = connect()
s.sendall(request("[mock:tokens=2000] warm-up", stream=True))
read_response(s)
per_event = {}
for events in (1_000, 10_000, 100_000):
    # 300,000 events of each size, three times; the best of three.
    runs = []
    for _ in range(3):
        c0 = cpu_seconds(serve.pid)
        for _ in range(300_000 // events):
            s.sendall(request(f"[mock:tokens={events}] stream", stream=True))
            body = read_response(s)
            assert b"data: [DONE]" in body, body[-200:]
        runs.append((cpu_seconds(serve.pid) - c0) / 300_000 * 1e6)
    per_event[events] = min(runs)
s.close()
base = per_event[1_000]
for events, us in per_event.items():
    print(f"SSE passthrough, {events:>7,} events per stream: {us:.2f} us of gateway CPU per event "
          f"({us / base:.2f}x the 1k stream)")


# 3. A client that does not read a ~100 MB stream, and another client meanwhile
def latencies(count):
    c = connect()
    out = []
    for i in range(count):
        t = time.monotonic()
        c.sendall(request(f"small {i}"))
        read_response(c)
        out.append((time.monotonic() - t) * 1000)
    c.close()
    return out


def p99(xs):
    return statistics.quantiles(xs, n=100)[98]


latencies(200)
alone = latencies(2000)
TOKENS = 620_000  # ~100 MB of events
rss_before = rss_kib(serve.pid)
slow = connect()
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
slow.sendall(request(f"[mock:tokens={TOKENS}] not read", stream=True))
slow.recv(4096)
peak[0] = 0
sampling[0] = True
threading.Thread(target=sample, daemon=True).start()
during = latencies(2000)
sampling[0] = False
grew = peak[0] - rss_before
print(f"a client not reading a {TOKENS:,}-token (~100 MB) stream: gateway RSS grew {grew / 1024:.1f} MiB "
      f"(target <= 16 MiB)")
print(f"another client meanwhile: p50 {statistics.median(during):.2f} ms, p99 {p99(during):.2f} ms "
      f"(alone: p50 {statistics.median(alone):.2f} ms, p99 {p99(alone):.2f} ms; {p99(during) / p99(alone):.2f}x; "
      f"target p99 <= 10 ms)")
slow.settimeout(120)
received = 0
while True:
    chunk = slow.recv(1 << 20)
    if not chunk:
        break
    received += len(chunk)
    if chunk.endswith(b"0\r\n\r\n"):
        break
slow.close()
print(f"the slow reader then received {received / 1e6:.1f} MB")
for p in procs:
    p.terminate()
for p in procs:
    p.wait(30)
