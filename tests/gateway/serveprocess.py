"""Starts `tollgate serve` on the demo organisation for the process tests (kill, drain)."""
import os, subprocess, tempfile


def start_serve(tollgate):
    """Returns (process, database path, demo key, port) once the gateway listens."""
    db = os.path.join(tempfile.mkdtemp(), "t.db")
    serve = subprocess.Popen([tollgate, "serve", "--db", db, "--demo", "--listen", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, text=True)
    key = port = None
    for line in serve.stdout:
        if "demo API key" in line:
            key = line.split()[-1]
        if "listening on" in line:
            port = int(line.rsplit(":", 1)[1])
            break
    assert key and port, "serve did not start"
    return serve, db, key, port
