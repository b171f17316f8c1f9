#!/usr/bin/env python3
"""PostgreSQL as the shared store: starts a throwaway PostgreSQL server (initdb/pg_ctl on a private port and socket
directory), runs the rollup tests against it (Qt Sql's path, not SQLite's C API), then two `tollgate serve` instances
on one database: requests through both are metered into it, both report all of them, and a restart replays nothing
twice; test_orgsync's two services on one database; and test_secrets (provider secrets sealed at rest, key files,
rotation) on PostgreSQL. Usage: shared.py path/to/tollgate path/to/test_rollups path/to/test_orgsync
path/to/test_secrets"""
import http.client, json, os, subprocess, sys, time

tollgate, test_rollups, test_orgsync, test_secrets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PgServer

server = PgServer()
work = server.work
servers = []
try:
    for name in ("rollups", "shared", "orgsync", "secrets"):
        server.create_database(name)
    url = server.url

    # 1. Reports read from the rollups agree with the records, on PostgreSQL.
    env = dict(os.environ, TOLLGATE_TEST_POSTGRES=f"{url}/rollups", HOME=work)
    r = subprocess.run([test_rollups, "reportsAgreeWithTheRecords"], env=env, capture_output=True, text=True)
    print(r.stdout[-2000:], r.stderr[-2000:])
    assert r.returncode == 0, "test_rollups failed on PostgreSQL"
    assert "PostgreSQL" in r.stdout, "test_rollups did not use PostgreSQL"

    # Two services in one process on one database: changes, customers and limits between them.
    env = dict(os.environ, TOLLGATE_TEST_POSTGRES=f"{url}/orgsync", HOME=work)
    r = subprocess.run([test_orgsync], env=env, capture_output=True, text=True)
    print(r.stdout[-3000:], r.stderr[-2000:])
    assert r.returncode == 0 and "SKIP" not in r.stdout, "test_orgsync failed on PostgreSQL"

    # Provider secrets on PostgreSQL: sealed, refused with a missing or wrong key file, rotated, shared by instances.
    # With a real Secret Service (tests/core/keychain.sh), so that a console's keychain is at hand and not used.
    keychain = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core", "keychain.sh")
    env = dict(os.environ, TOLLGATE_TEST_POSTGRES=f"{url}/secrets", HOME=work)
    r = subprocess.run(["bash", keychain, test_secrets], env=env, capture_output=True, text=True)
    print(r.stdout[-3000:], r.stderr[-2000:])
    assert r.returncode == 0 and "on PostgreSQL, with a Secret Service" in r.stdout, "test_secrets failed on PostgreSQL"
    assert "PASS   : TestSecrets::aSharedDatabaseNeverUsesTheKeychain" in r.stdout, "the shared-database case did not run"

    # 2. Two instances on one database.
    admin = "pg-shared-admin-key-" + "x" * 24
    env = dict(os.environ, TOLLGATE_ADMIN_KEY=admin, HOME=work, XDG_DATA_HOME=os.path.join(work, "share"))

    def serve(*extra):
        p = subprocess.Popen([tollgate, "serve", "--db", f"{url}/shared", "--listen", "127.0.0.1:0", *extra],
                             stdout=subprocess.PIPE, text=True, env=env)
        servers.append(p)
        key = None
        for line in p.stdout:
            if "demo API key" in line:
                key = line.split()[-1]
            if "listening on" in line:
                return p, int(line.rsplit(":", 1)[1]), key
        raise AssertionError("serve did not start")

    a, port_a, key = serve("--demo")
    b, port_b, _ = serve()
    assert key, "no demo key"

    def call(port, method, path, body=None, auth=key):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, json.dumps(body) if body is not None else None,
                     {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()

    def requests_recorded(port):
        status, body = call(port, "GET", "/api/admin/usage?from=2000-01-01&to=2100-01-01", auth=admin)
        assert status == 200, body
        return json.loads(body)["total"]["requests"]

    before = requests_recorded(port_a)  # the demo's own history
    sent = 0
    for i in range(40):
        port = port_a if i % 2 else port_b
        status, body = call(port, "POST", "/v1/chat/completions",
                            {"model": "mock-small", "messages": [{"role": "user", "content": f"hello {i}"}]})
        assert status == 200, body
        sent += 1
    # Each instance applies its own journal in batches of a few milliseconds; the other's arrive shortly after.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen = (requests_recorded(port_a) - before, requests_recorded(port_b) - before)
        if seen == (sent, sent):
            break
        time.sleep(0.05)
    print(f"two instances on one PostgreSQL database: {sent} requests sent through both, each reports {seen}")
    assert seen == (sent, sent)

    # 3. Stopped and started again: every journal is applied once, nothing twice.
    for p in (a, b):
        p.terminate()
        assert p.wait(30) == 0
    a, port_a, _ = serve()
    after = requests_recorded(port_a) - before
    print(f"after a restart: {after} requests recorded")
    assert after == sent
finally:
    for p in servers:
        if p.poll() is None:
            p.kill()
            p.wait()
    server.stop()
