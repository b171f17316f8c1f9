#!/usr/bin/env python3
"""Provider secrets at rest, end to end with a real `tollgate serve`: a secret given through the admin API reaches the
provider (a loopback upstream of this test that records the Authorization header) and is nowhere in what Tollgate
wrote: `strings` over the database, its WAL and shared memory, the usage journal, the key file and the logs. A
database of an earlier version with a plain-text secret is sealed at the next start, with the plain text gone from
every file; a missing or wrong key file stops the start with a message naming it and changes nothing;
TOLLGATE_SECRET_KEY_FILE names the file; `tollgate rotate-secret-key` re-encrypts under a new key file.

    secretstest.py path/to/tollgate
"""
import http.client, http.server, json, os, shutil, signal, sqlite3, subprocess, sys, tempfile, threading

tollgate = sys.argv[1]
work = tempfile.mkdtemp(prefix="tollgate-secrets-")
data = os.path.join(work, "data")
os.makedirs(data)
db = os.path.join(data, "tollgate.db")
key_file = db + ".secret-key"
admin = "secrets-test-admin-key-" + "x" * 24
env = dict(os.environ, TOLLGATE_ADMIN_KEY=admin, HOME=work, XDG_DATA_HOME=os.path.join(work, "share"))
env.pop("TOLLGATE_SECRET_KEY_FILE", None)
logs = []  # everything Tollgate printed

# The provider: answers chat completions and records the credentials it was sent.
seen = []


class Upstream(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen.append(self.headers.get("Authorization", ""))
        body = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
upstream_url = f"http://127.0.0.1:{upstream.server_address[1]}/v1"


def run(*args, extra_env=None):
    r = subprocess.run([tollgate, *args], capture_output=True, text=True, env=dict(env, **(extra_env or {})))
    logs.append(r.stdout + r.stderr)
    return r


def serve(*extra, extra_env=None):
    """Starts serve; returns (process, port, demo key or None)."""
    p = subprocess.Popen([tollgate, "serve", "--db", db, "--listen", "127.0.0.1:0", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(env, **(extra_env or {})))
    key = None
    out = []
    for line in p.stdout:
        out.append(line)
        if "demo API key" in line:
            key = line.split()[-1]
        if "listening on" in line:
            p.captured = out
            return p, int(line.rsplit(":", 1)[1]), key
    p.wait()
    raise AssertionError("serve did not start: " + "".join(out) + p.stderr.read())


def stop(p):
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=60)
    logs.append("".join(p.captured) + rest + err)
    assert p.returncode == 0, f"serve exited {p.returncode}: {err}"


def call(port, method, path, body=None, auth=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def chat(port, key):
    status, body = call(port, "POST", "/v1/chat/completions",
                        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}, key)
    assert status == 200, (status, body)


def files_holding(secret):
    """Every file Tollgate wrote (the data folder, its home) and every log that holds `secret`, found by `strings`."""
    found = []
    needle = secret.encode()
    for root in (data, work):
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    raw = f.read()
                printable = subprocess.run(["strings", "-a", "-n", "8", path], capture_output=True).stdout
                utf16 = secret.encode("utf-16-le")
                if needle in printable or needle in raw or utf16 in raw:
                    found.append(os.path.relpath(path, work))
    if any(secret in text for text in logs):
        found.append("(logs)")
    return sorted(set(found))


def stored_secret(name):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT secret FROM providers WHERE name = ?", (name,)).fetchone()[0]


try:
    # 1. A secret set through the admin API goes upstream, and nowhere at rest.
    first = "sk-proj-FirstSecret-7c1d9e0b4a2f"
    p, port, demo_key = serve("--demo")
    assert demo_key
    status, body = call(port, "PATCH", "/api/admin/providers/1", {"base_url": upstream_url, "secret": first}, admin)
    assert status == 200, body
    assert json.loads(body)["secret_storage"] == "encrypted", body
    chat(port, demo_key)
    assert seen[-1] == f"Bearer {first}", seen
    stop(p)
    assert os.stat(key_file).st_mode & 0o777 == 0o600, oct(os.stat(key_file).st_mode)
    assert stored_secret("openai").startswith("enc:v1:")
    assert files_holding(first) == [], files_holding(first)
    print("1. the secret reaches the provider and is in no file and no log")

    # 2. A database of an earlier version: the secret in plain text, no key. Sealed at start, the plain text gone.
    legacy = "sk-proj-LegacyPlainText-5e8a3b61"
    with sqlite3.connect(db) as c:
        c.execute("UPDATE providers SET secret = ? WHERE name = 'openai'", (legacy,))
        c.execute("DELETE FROM secret_keys")
    os.remove(key_file)
    assert files_holding(legacy) != [], "the scan must see a plain-text secret"
    p, port, _ = serve()
    chat(port, demo_key)
    assert seen[-1] == f"Bearer {legacy}", seen
    stop(p)
    assert stored_secret("openai").startswith("enc:v1:")
    assert files_holding(legacy) == [], files_holding(legacy)
    print("2. a plain-text secret of an earlier version is sealed, and gone from every file")

    # 3. A missing or wrong key file: a clear error naming it; nothing changed, no key made.
    before = stored_secret("openai")
    moved = os.path.join(work, "backup.secret-key")
    shutil.move(key_file, moved)
    r = run("serve", "--db", db, "--listen", "127.0.0.1:0")
    assert r.returncode != 0 and key_file in r.stderr and "does not exist" in r.stderr, r.stderr
    assert not os.path.exists(key_file) and stored_secret("openai") == before
    other = os.path.join(work, "other.secret-key")
    with open(other, "w") as f:
        f.write("tollgate-secret-key-v1:" + "QUFB" * 10 + "QUE=\n")  # 32 bytes of 'A': another key
    r = run("info", "--db", db, "--secret-key-file", other)
    assert r.returncode != 0 and other in r.stderr and "holds the key" in r.stderr, r.stderr
    r = run("info", "--db", db, extra_env={"TOLLGATE_SECRET_KEY_FILE": moved})
    assert r.returncode == 0, r.stderr
    assert stored_secret("openai") == before
    print("3. a missing or wrong key file is refused, naming it; TOLLGATE_SECRET_KEY_FILE names the right one")

    # 4. Rotation: a new key file, the secrets re-encrypted under it; the old file opens nothing.
    shutil.move(moved, key_file)
    old_key = open(key_file).read()
    r = run("rotate-secret-key", "--db", db)
    assert r.returncode == 0 and "encrypted under the new key" in r.stdout, r.stdout + r.stderr
    assert open(key_file).read() != old_key and stored_secret("openai") != before
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    with open(other, "w") as f:
        f.write(old_key)
    assert run("info", "--db", db, "--secret-key-file", other).returncode != 0
    p, port, _ = serve()
    chat(port, demo_key)
    assert seen[-1] == f"Bearer {legacy}", seen
    stop(p)
    assert files_holding(legacy) == [] and files_holding(first) == []
    print("4. rotate-secret-key re-encrypts under a new key file")
    print("secrets at rest: all passed")
finally:
    upstream.shutdown()
    shutil.rmtree(work, ignore_errors=True)
