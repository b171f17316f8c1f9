#!/usr/bin/env python3
"""Admin API benchmark: bulk operations on 10,000 users against `tollgate serve`, each compared with the same work
done one request at a time (measured on a sample and scaled), in the same run.

    python3 tests/bench/admin.py [path/to/tollgate]
"""
import http.client, json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLLGATE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "app", "tollgate")
KEY = "tga-benchmark-owner-key-0123456789abcdef"
N = 10_000
SAMPLE = 200


def main():
    db = os.path.join(tempfile.mkdtemp(), "bench.db")
    env = dict(os.environ, TOLLGATE_ADMIN_KEY=KEY)
    serve = subprocess.Popen([TOLLGATE, "serve", "--db", db, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                             text=True, env=env)
    port = None
    for line in serve.stdout:
        if "listening on" in line:
            port = int(line.rsplit(":", 1)[1])
            break
    assert port, "serve did not start"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(method, path, body=None):
        conn.request(method, "/api/admin" + path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        assert r.status < 300, (r.status, data[:300])
        return json.loads(data) if data else None

    def timed(fn):
        t = time.perf_counter()
        result = fn()
        return (time.perf_counter() - t) * 1000, result

    rows = []
    try:
        # One at a time: a sample of single requests, scaled to 10,000.
        singles = [timed(lambda i=i: call("POST", "/users", {"email": f"one{i}@bench.example", "name": f"One {i}"}))[0]
                   for i in range(SAMPLE)]
        one_user = statistics.median(singles)
        users = [{"email": f"u{i}@bench.example", "name": f"User {i}"} for i in range(N)]
        ms, created = timed(lambda: call("POST", "/users/bulk", {"users": users}))
        ids = [u["id"] for u in created["data"]]
        rows.append(("create 10,000 users (one transaction)", ms, one_user * N))

        single_limit = statistics.median(
            timed(lambda i=i: call("POST", "/organizations/1/user-policies",
                                   {"user_id": ids[i], "monthly_cost_limit": 9}))[0] for i in range(SAMPLE))
        ms, _ = timed(lambda: call("POST", "/users/bulk/monthly-limit", {"user_ids": ids, "monthly_limit": 25}))
        rows.append(("set the monthly limit of 10,000 users", ms, single_limit * N))

        group = call("POST", "/groups", {"name": "Everyone"})["id"]
        other = call("POST", "/groups", {"name": "Sample"})["id"]
        single_add = statistics.median(
            timed(lambda i=i: call("POST", f"/groups/{other}/members", {"user_ids": [ids[i]]}))[0] for i in range(SAMPLE))
        ms, _ = timed(lambda: call("POST", f"/groups/{group}/members", {"user_ids": ids}))
        rows.append(("add 10,000 users to a group", ms, single_add * N))
        ms, _ = timed(lambda: call("POST", f"/groups/{group}/members/move", {"user_ids": ids, "to_group_id": other}))
        rows.append(("move 10,000 users between groups", ms, single_add * N * 2))

        list_ms = statistics.median(timed(lambda: call("GET", "/users?sort=name&limit=100&q=User%2099"))[0]
                                    for _ in range(20))
        rows.append((f"list users: filter + sort {N + SAMPLE:,}, page of 100", list_ms, None))
    finally:
        serve.terminate()
        serve.wait(timeout=30)

    print(f"{'operation':48} {'bulk ms':>10} {'one by one ms':>14} {'speed-up':>9}")
    for name, ms, single in rows:
        if single:
            print(f"{name:48} {ms:10.1f} {single:14.0f} {single / ms:8.1f}x")
        else:
            print(f"{name:48} {ms:10.1f} {'':>14} {'':>9}")
    print(f"(one by one: median of {SAMPLE} single requests x {N:,}, same server, same run)")


if __name__ == "__main__":
    main()
