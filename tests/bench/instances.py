#!/usr/bin/env python3
"""Several instances on one PostgreSQL (core/ledger/sharedledger.h), measured in one run on this machine:

- one instance with the shared counters against the same instance with its counters in memory
  (TOLLGATE_LEDGER=local), 64 connections, far from every limit: the ratio is what sharing costs;
- three instances together (their requests split over them), shared counters;
- one connection, one request at a time: the median admission far from a limit (served from a lease) and near one
  (fewer than 64 requests left: every reservation is a database transaction).

Every instance answers from the built-in mock provider, so the upstream is never what is measured.
Usage: tests/bench/instances.py [path/to/tollgate] [seconds]"""
import http.client, json, os, re, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "postgres"))
from pgserver import PgServer, start_serve

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
tollgate = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "app", "tollgate")
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 8
assert shutil.which("wrk"), "wrk is not installed (apt-get install wrk)"
ADMIN = "bench-instances-admin-key-" + "x" * 24
COST = 10 * 1000
server = PgServer()
work = tempfile.mkdtemp(prefix="tollgate-bench-")
procs = []


def serve(database, *extra, ledger=None):
    env = dict(os.environ, TOLLGATE_ADMIN_KEY=ADMIN, HOME=work, XDG_DATA_HOME=os.path.join(work, "share"),
               QT_LOGGING_RULES="tollgate.*.info=false")
    if ledger:
        env["TOLLGATE_LEDGER"] = ledger
    p, port = start_serve(tollgate, f"{server.url}/{database}", env, *extra, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p, port


def stop(p):
    p.terminate()
    p.wait(30)


def call(port, method, path, body=None, auth=ADMIN, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None


def admin(port, method, path, body=None):
    status, reply = call(port, method, "/api/admin" + path, body)
    assert status in (200, 201), f"{method} {path}: {status} {reply}"
    return reply


BODY = {"model": "exact-small", "max_tokens": 10,
        "messages": [{"role": "user", "content": "[mock:tokens=10][mock:delay=0] hello"}]}


def setup(port):
    """A user and key far from every limit (a million dollars each), and a model whose estimate is its cost."""
    provider = admin(port, "GET", "/models/mock-small")["provider_id"]
    admin(port, "POST", "/models", {"id": "exact-small", "provider_id": provider, "tier": 1,
                                    "input_price_per_million": 0, "output_price_per_million": 1,
                                    "max_output_tokens": 1000, "approved": True})
    return new_key(port, 1_000_000)


def new_key(port, dollars):
    n = len(procs) * 1000 + int(time.monotonic() * 1000) % 100000
    u = admin(port, "POST", "/users", {"email": f"bench-{n}@bench.example", "name": f"bench {n}",
                                       "monthly_limit": f"{dollars:.9f}"})["id"]
    # The demo organisation's rate and daily limits would bind first: lifted, so the monthly limit is the one.
    admin(port, "POST", "/organizations/1/user-policies",
          {"user_id": u, "bypass_rate_limits": True, "daily_cost_limit": "unlimited", "daily_token_limit": "unlimited",
           "monthly_token_limit": "unlimited"})
    return admin(port, "POST", "/keys", {"name": f"bench {n}", "holder_user_id": u,
                                         "limit": f"{max(dollars, 1):.9f}"})["key"]


def wrk(ports, key, connections):
    """Requests per second over all ports together (connections split over them)."""
    script = os.path.join(work, "req.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = \'%s\'\nwrk.headers["Content-Type"] = "application/json"\n'
                'wrk.headers["Authorization"] = "Bearer %s"\n' % (json.dumps(BODY), key))
    per = max(1, connections // len(ports))
    runs = [subprocess.Popen(["wrk", "-t", "1" if len(ports) > 1 else "2", "-c", str(per), "-d", f"{seconds}s",
                              "-s", script, f"http://127.0.0.1:{p}/v1/chat/completions"],
                             stdout=subprocess.PIPE, text=True) for p in ports]
    total = 0.0
    for r in runs:
        out = r.communicate()[0]
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if non2xx:
            status, reply = call(ports[0], "POST", "/v1/chat/completions", BODY, auth=key)
            raise AssertionError(f"{out}\n{status} {reply}")
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return total


def sequential(port, key, count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, statuses = [], []
    for _ in range(count):
        t = time.perf_counter()
        status, _ = call(port, "POST", "/v1/chat/completions", BODY, auth=key, conn=conn)
        times.append((time.perf_counter() - t) * 1e6)
        statuses.append(status)
    return times, statuses


try:
    for name in ("local", "shared"):
        server.create_database(name)
    results = {}
    for label, ledger in (("local", "local"), ("shared", None)):
        p, port = serve(label, "--demo", ledger=ledger)
        key = setup(port)
        wrk([port], key, 8)  # warm up: connections, leases
        results[label] = wrk([port], key, 64)
        if label == "shared":
            far = sequential(port, key, 400)[0]
            near_key = new_key(port, 60 * COST / 1e9)
            near, statuses = sequential(port, near_key, 60)
            assert statuses.count(200) == 60, statuses
            refused, statuses = sequential(port, near_key, 60)
            assert statuses.count(429) == 60, statuses
            b, port_b = serve(label)
            c, port_c = serve(label)
            wrk([port, port_b, port_c], key, 24)
            results["three"] = wrk([port, port_b, port_c], key, 64)
            for q in (b, c):
                stop(q)
        stop(p)
    cpus = os.cpu_count()
    print(f"{cpus} cores, {seconds} s per run, 64 connections, mock provider in process, PostgreSQL on loopback")
    print(f"one instance, counters in memory (TOLLGATE_LEDGER=local): {results['local']:10.0f} req/s")
    print(f"one instance, counters shared in PostgreSQL:              {results['shared']:10.0f} req/s"
          f"   ratio {results['shared'] / results['local']:.2f}x")
    print(f"three instances, counters shared:                         {results['three']:10.0f} req/s"
          f"   ratio {results['three'] / results['local']:.2f}x (same {cpus} cores)")
    print(f"one connection, median request far from a limit (lease):   {statistics.median(far):7.0f} us")
    print(f"one connection, median admission near a limit (database):  {statistics.median(near):7.0f} us"
          f"   (+{statistics.median(near) - statistics.median(far):.0f} us)")
    print(f"one connection, median refusal at the limit (database):    {statistics.median(refused):7.0f} us")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    server.stop()
    shutil.rmtree(work, ignore_errors=True)
