"""Starts `tollgate serve` on the demo organisation for the process tests (kill, drain)."""
import os, subprocess, tempfile


def start_serve(tollgate, admin=False, extra=()):
    """Returns (process, database path, demo key, port) once the gateway listens; with admin=True also the owner
    admin key (printed at the first start)."""
    db = os.path.join(tempfile.mkdtemp(), "t.db")
    serve = subprocess.Popen([tollgate, "serve", "--db", db, "--demo", "--listen", "127.0.0.1:0", *extra],
                             stdout=subprocess.PIPE, text=True)
    key = port = owner = None
    for line in serve.stdout:
        if "demo API key" in line:
            key = line.split()[-1]
        if "owner admin key" in line:
            owner = line.split()[-1]
        if "listening on" in line:
            port = int(line.rsplit(":", 1)[1])
            break
    assert key and port, "serve did not start"
    if admin:
        assert owner, "serve printed no owner key"
        return serve, db, key, port, owner
    return serve, db, key, port
