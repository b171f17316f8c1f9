#!/usr/bin/env python3
"""Several `tollgate serve` instances on one PostgreSQL database, exact (docs/design.md "Several instances"):

1. Five limits, each the only one binding for its requests: a user's monthly limit, a key's cap, a group's budget,
   a customer's period budget (the customer made on first use by requests on every instance at once) and a
   requests-per-minute limit. 500 concurrent requests against each, split across three instances: exactly
   floor(limit / cost) are admitted (no overshoot, no false refusal), every other one is a 429, and once the
   requests are done no lease is left in the counters.
2. A change made on one instance is seen on the others within a second: a revoked key, a disabled user, a lowered
   limit, a blocked model.
3. An instance killed with SIGKILL under load: no overshoot, no record lost once its journal is replayed, its
   leases taken back after the lease time, and the rest of the limit admitted again.

Usage: instances.py path/to/tollgate"""
import concurrent.futures, http.client, json, os, signal, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PgServer, start_serve

tollgate = sys.argv[1]
ADMIN = "pg-instances-admin-key-" + "x" * 24
COST = 10 * 1000  # nano-dollars: 10 output tokens at $1 per million, input free: the estimate is the cost
LEASE_SECONDS = 3
server = PgServer()
servers = []
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def dollars(nanos):
    return f"{nanos / 1e9:.9f}"


try:
    server.create_database("instances")
    env = dict(os.environ, TOLLGATE_ADMIN_KEY=ADMIN, HOME=server.work,
               XDG_DATA_HOME=os.path.join(server.work, "share"), TOLLGATE_LEASE_SECONDS=str(LEASE_SECONDS))

    def serve(*extra):
        p, port = start_serve(tollgate, f"{server.url}/instances", env, *extra)
        servers.append(p)
        return p, port

    a, port_a = serve("--demo")
    b, port_b = serve()
    c, port_c = serve()
    ports = [port_a, port_b, port_c]

    local = threading.local()

    def call(port, method, path, body=None, auth=ADMIN):
        conns = local.__dict__.setdefault("conns", {})
        for attempt in range(2):
            conn = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conns[port] = conn
            try:
                conn.request(method, path, json.dumps(body) if body is not None else None,
                             {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    conns.pop(port).close()
                return resp.status, json.loads(data) if data else None
            except (ConnectionError, http.client.HTTPException, OSError):
                conns.pop(port, None)
                if attempt:
                    raise

    def admin(method, path, body=None, port=port_a):
        status, reply = call(port, method, "/api/admin" + path, body)
        assert status in (200, 201, 204), f"{method} {path}: {status} {reply}"
        return reply

    # A model whose estimate is its cost: output only, and the mock answers exactly max_tokens tokens.
    provider = admin("GET", "/models/mock-small")["provider_id"]
    admin("POST", "/models", {"id": "exact-small", "provider_id": provider, "tier": 1, "input_price_per_million": 0,
                              "output_price_per_million": 1, "max_output_tokens": 1000, "approved": True})
    org = 1  # the demo organisation, the database's only one

    def user(name, **fields):
        u = admin("POST", "/users", {"email": f"{name}@instances.example", "name": name, **fields})
        return u["id"]

    def key(holder, **fields):
        return admin("POST", "/keys", {"name": f"key {holder}", "holder_user_id": holder, **fields})["key"]

    def everywhere(secret, deadline=5.0):
        """Seconds until every instance accepts the key (GET /v1/models costs nothing)."""
        start = time.monotonic()
        pending = set(ports)
        while pending and time.monotonic() - start < deadline:
            for p in list(pending):
                if call(p, "GET", "/v1/models", auth=secret)[0] == 200:
                    pending.discard(p)
        return time.monotonic() - start if not pending else None

    def chat(port, secret, extra=None, delay=50):
        body = {"model": "exact-small", "max_tokens": 10,
                "messages": [{"role": "user", "content": f"[mock:tokens=10][mock:delay={delay}] hello"}]}
        body.update(extra or {})
        return call(port, "POST", "/v1/chat/completions", body, auth=secret)

    def burst(secrets, extra=None, total=500):
        """500 concurrent requests round-robin over the instances (and the keys); returns statuses and the time."""
        def one(i):
            return chat(ports[i % 3], secrets[i % len(secrets)], extra)[0]
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=96) as pool:
            statuses = list(pool.map(one, range(total)))
        return statuses, started, time.time()

    def leases_left():
        return int(server.sql("instances", "SELECT COALESCE(SUM(reserved), 0) FROM limit_counters")[0][0])

    def settled(deadline=5.0):
        """Waits until every instance has written its records and returned its unused leases."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if leases_left() == 0:
                return True
            time.sleep(0.05)
        return False

    def exact(label, statuses, fits):
        admitted = statuses.count(200)
        refused = statuses.count(429)
        check(admitted == fits and refused == len(statuses) - fits,
              f"{label}: {admitted} admitted of {len(statuses)} across three instances (limit fits {fits}),"
              f" {refused} refused with 429, other: {sorted(set(statuses) - {200, 429})}")
        check(settled(), f"{label}: no lease left in the counters once the requests are done ({leases_left()})")

    # 1. Five limits.
    u1 = user("limited", monthly_limit=dollars(20 * COST))
    k1 = key(u1)
    u2 = user("capped")
    k2 = key(u2, limit=dollars(17 * COST))
    g = admin("POST", "/groups", {"name": "Shared budget", "monthly_budget": dollars(23 * COST),
                                  "budget_action": "block"})["id"]
    u3a, u3b = user("member-a", group_ids=[g]), user("member-b", group_ids=[g])
    k3a, k3b = key(u3a), key(u3b)
    u4 = user("reseller")
    k4 = key(u4, features=["chat", "messages", "embeddings", "customer_limits"])
    u5 = user("chatty")
    admin("POST", f"/organizations/{org}/user-policies", {"user_id": u5, "requests_per_minute": 37})
    k5 = key(u5)
    seen = [everywhere(k) for k in (k1, k2, k3a, k3b, k4, k5)]
    check(all(s is not None and s <= 1.0 for s in seen),
          f"keys made on one instance work on the others within 1 s (slowest {max(s or 99 for s in seen):.3f} s)")

    exact("user monthly limit", burst([k1])[0], 20)
    exact("key cap", burst([k2])[0], 17)
    exact("group budget, two members", burst([k3a, k3b])[0], 23)
    customer = {"customer_params": {"customer_identifier": "acme-race", "period_budget": dollars(19 * COST),
                                    "budget_duration": "monthly"}}
    statuses = burst([k4], customer)[0]
    exact("customer budget, the customer made by the first requests on every instance at once", statuses, 19)
    customers = server.sql("instances", "SELECT COUNT(*) FROM customers WHERE identifier = 'acme-race'")[0][0]
    check(customers == "1", f"one customer row for acme-race ({customers})")

    # Setting a customer's limits is a key permission, and an admin's lock holds on every instance.
    k_plain = key(u4)
    everywhere(k_plain)
    raise_budget = {"customer_params": {"customer_identifier": "acme-race", "period_budget": 1000}}
    status, reply = chat(port_b, k_plain, raise_budget)
    check(status == 403 and reply["error"]["code"] == "customer_limits_not_permitted",
          f"a key without customer_limits cannot raise a customer's budget ({status})")
    acme = next(x for x in admin("GET", "/customers")["data"] if x["customer_identifier"] == "acme-race")
    admin("PATCH", f"/customers/{acme['id']}", {"limits_locked": True}, port=port_a)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if call(port_c, "GET", f"/api/admin/customers/{acme['id']}")[1].get("limits_locked"):
            break
        time.sleep(0.02)
    status, reply = chat(port_c, k4, raise_budget)
    check(status == 403 and reply["error"]["code"] == "customer_limits_locked",
          f"a lock set on one instance holds against customer_limits on another ({status})")
    budget = server.sql("instances", "SELECT period_budget FROM customers WHERE identifier = 'acme-race'")[0][0]
    check(budget == str(19 * COST), f"the budget is as the admin left it ({budget})")
    for attempt in range(3):
        statuses, started, ended = burst([k5])
        if int(started // 60) == int(ended // 60):
            break
        u5 = user(f"chatty-{attempt}")  # the burst crossed a minute: two windows; again with a fresh user
        admin("POST", f"/organizations/{org}/user-policies", {"user_id": u5, "requests_per_minute": 37})
        k5 = key(u5)
        everywhere(k5)
    exact("requests per minute", statuses, 37)

    used = server.sql("instances", "SELECT scope, metric, used FROM limit_counters WHERE scope = 0 AND"
                                   f" scope_id = {u1} AND metric = 0")
    check(used and int(used[0][2]) == 20 * COST, f"the user's counter holds exactly 20 requests' cost ({used})")

    # 2. Changes everywhere within a second.
    def within_a_second(label, refused):
        start = time.monotonic()
        pending = set(ports)
        while pending and time.monotonic() - start < 3:
            for p in list(pending):
                if refused(p):
                    pending.discard(p)
        took = time.monotonic() - start
        check(not pending and took <= 1.0, f"{label}: on every instance after {took:.3f} s")

    u6 = user("changing")
    k6_id_reply = admin("POST", "/keys", {"name": "to revoke", "holder_user_id": u6})
    k6 = k6_id_reply["key"]
    k7 = key(u6)
    everywhere(k6)
    everywhere(k7)
    admin("PATCH", f"/keys/{k6_id_reply['data']['id']}", {"disabled": True}, port=port_b)
    within_a_second("a key disabled on one instance is refused",
                    lambda p: call(p, "GET", "/v1/models", auth=k6)[0] == 401)
    check(chat(port_a, k7)[0] == 200, "the user's other key still works")
    admin("POST", f"/organizations/{org}/user-policies", {"user_id": u6, "monthly_cost_limit": dollars(COST // 2)},
          port=port_c)
    within_a_second("a limit lowered below one request refuses it",
                    lambda p: chat(p, k7, delay=0)[0] == 429)
    admin("POST", f"/organizations/{org}/user-policies", {"user_id": u6, "monthly_cost_limit": None}, port=port_c)
    admin("PATCH", "/models/exact-small", {"approved": False}, port=port_b)
    within_a_second("a model blocked on one instance is refused",
                    lambda p: chat(p, k7, delay=0)[0] in (403, 404))
    admin("PATCH", "/models/exact-small", {"approved": True}, port=port_b)
    admin("POST", f"/users/{u6}/deactivate", port=port_c)
    within_a_second("a user deactivated on one instance is refused", lambda p: chat(p, k7, delay=0)[0] == 403)

    # A limit lowered under steady traffic while every instance holds a lease of the old one's headroom: once the
    # change is seen, exactly what the new limit allows is admitted (the leases are not spent past it).
    u9 = user("lowered", monthly_limit="1000")
    # Only cost limits, far away (the demo organisation's requests per minute would go to the database anyway).
    admin("POST", f"/organizations/{org}/user-policies", {"user_id": u9, "bypass_rate_limits": True})
    k9 = key(u9)
    everywhere(k9)
    admitted9 = []
    stop_at = [None]

    def steady(port):
        while stop_at[0] is None or time.monotonic() < stop_at[0]:
            status = chat(port, k9, delay=20)[0]
            with lock:
                admitted9.append(status)

    lock = threading.Lock()
    workers = [threading.Thread(target=steady, args=(p,)) for p in ports]
    for w in workers:
        w.start()
    while len(admitted9) < 30:
        time.sleep(0.01)
    leased = int(server.sql("instances", f"SELECT COUNT(DISTINCT instance) FROM limit_leases WHERE scope = 0 AND"
                                         f" scope_id = {u9} AND amount > 0")[0][0])
    with lock:
        so_far = admitted9.count(200)
    new_limit = so_far + 3 + 25  # what is in flight now, and 25 more
    admin("POST", f"/organizations/{org}/user-policies", {"user_id": u9, "monthly_cost_limit": dollars(new_limit * COST)},
          port=port_b)
    stop_at[0] = time.monotonic() + 2.0
    for w in workers:
        w.join()
    check(leased == 3, f"far from the limit every instance leases a slice ({leased} do)")
    check(admitted9.count(200) == new_limit,
          f"a limit lowered under steady traffic on every instance: {admitted9.count(200)} admitted, the new limit"
          f" fits {new_limit}")
    check(settled(), "no lease left once the traffic stops")

    # 3. One instance killed under load.
    u8 = user("survivor", monthly_limit=dollars(60 * COST))
    k8 = key(u8)
    everywhere(k8)
    answered = []
    lock = threading.Lock()

    def load(i):
        try:
            status = chat(ports[i % 3], k8, delay=300)[0]
        except Exception:
            status = None  # the killed instance's requests in flight
        with lock:
            answered.append((i % 3, status))

    with concurrent.futures.ThreadPoolExecutor(max_workers=48) as pool:
        futures = [pool.submit(load, i) for i in range(150)]
        time.sleep(0.15)  # the killed instance holds requests in flight and, far from the limit, leases
        c.send_signal(signal.SIGKILL)
        c.wait()
        concurrent.futures.wait(futures)
    ok = sum(1 for _, s in answered if s == 200)
    print(f"during the kill: {ok} admitted, {sum(1 for _, s in answered if s is None)} cut off")
    ports = [port_a, port_b]
    # A new instance replays the killed one's journal; the leases expire after LEASE_SECONDS.
    d, port_d = serve()
    ports = [port_a, port_b, port_d]
    deadline = time.monotonic() + LEASE_SECONDS + 5
    while time.monotonic() < deadline:
        instances = int(server.sql("instances", "SELECT COUNT(*) FROM limit_instances")[0][0])
        if instances == 3 and leases_left() == 0:
            break
        time.sleep(0.1)
    check(instances == 3 and leases_left() == 0,
          f"the killed instance's leases are taken back ({instances} instances hold leases, {leases_left()} reserved)")
    rows = server.sql("instances", f"SELECT COUNT(*), COALESCE(SUM(cost), 0) FROM usage_records WHERE user_id = {u8}"
                                   " AND status <> 'denied'")[0]
    check(int(rows[1]) <= 60 * COST, f"no overshoot after the kill: {rows[1]} of {60 * COST} nano-dollars spent")
    check(int(rows[0]) >= ok, f"every answered request has its record ({rows[0]} records, {ok} answered)")
    # The rest of the limit is admitted again: nothing stays stranded.
    more = [chat(ports[i % 3], k8, delay=0)[0] for i in range(70)]
    total = int(server.sql("instances", f"SELECT COALESCE(SUM(cost), 0) FROM usage_records WHERE user_id = {u8}"
                                        " AND status <> 'denied'")[0][0])
    check(total == 60 * COST, f"after the kill the whole limit is usable, and no more: {total // COST} of 60"
                              f" requests' cost recorded ({more.count(200)} more admitted)")

    # An instance stopped the usual way (SIGTERM) returns its leases and its registration at once.
    b.terminate()
    check(b.wait(30) == 0, "an instance stopped with SIGTERM exits 0")
    ports = [port_a, port_d]
    rows = server.sql("instances", "SELECT COUNT(*), (SELECT COUNT(*) FROM limit_leases WHERE amount <> 0 AND"
                                   " instance NOT IN (SELECT instance FROM limit_instances)) FROM limit_instances")[0]
    check(rows == ["2", "0"], f"its registration and leases are gone at once ({rows[0]} instances left, {rows[1]}"
                              " leases of no instance)")

    # 4. PostgreSQL gone: a request that needs the database is refused with 503 and its request id, no SQL text.
    server.halt()
    status, reply = chat(port_a, k1, delay=0)
    message = (reply or {}).get("error", {}).get("message", "")
    check(status == 503 and reply["error"]["code"] == "limits_unavailable" and "request" in message
          and "SQL" not in json.dumps(reply) and "ERROR" not in json.dumps(reply),
          f"with PostgreSQL gone, admission fails closed: {status} {message}")
    # Back again: every instance connects again by itself.
    server.start()
    u10 = user("after-restart", monthly_limit=dollars(5 * COST))
    k10 = key(u10)
    everywhere(k10)
    statuses = [chat(ports[i % len(ports)], k10, delay=0)[0] for i in range(8)]
    check(statuses.count(200) == 5 and statuses.count(429) == 3,
          f"after PostgreSQL is back, the instances admit and refuse exactly again ({statuses})")
finally:
    for p in servers:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
    server.stop()

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
