"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl on a private port and socket directory (as the
postgres user when run as root), removed again by stop()."""
import glob, os, shutil, socket, subprocess, tempfile, threading


class PgServer:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert bins, "PostgreSQL is not installed (apt-get install postgresql; .ci/setup does)"
        self.bin = os.path.dirname(bins[-1])
        self.work = tempfile.mkdtemp(prefix="tollgate-pg-")
        os.chmod(self.work, 0o755)
        self.data, sockets = os.path.join(self.work, "data"), os.path.join(self.work, "sock")
        os.mkdir(sockets)
        if os.geteuid() == 0:
            shutil.chown(sockets, "postgres")
            os.mkdir(self.data)
            shutil.chown(self.data, "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        subprocess.run(self._as_owner([f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                                       "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        self.sockets = sockets
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self):
        subprocess.run(self._as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-l", os.path.join(self.data, "log"),
                                       "-w", "-o", f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
                                       " -c fsync=off -c max_connections=200", "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    @staticmethod
    def _as_owner(args):
        """PostgreSQL refuses to run as root: as root, the server runs as the postgres user."""
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + args
        return args

    def sql(self, database, statement):
        """Runs one statement with psql; returns its rows as lists of strings."""
        r = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
                            database, "-At", "-F", "\t", "-c", statement], check=True, capture_output=True, text=True)
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def create_database(self, name):
        self.sql("postgres", f"CREATE DATABASE {name}")

    def halt(self):
        """Stops the server as a crash would, keeping its files."""
        subprocess.run(self._as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(self._as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)


def start_serve(tollgate, url, env, *extra, stderr=None):
    """Starts `tollgate serve --db URL` on a free port; returns (process, port) once it listens. Its output is read
    on (and dropped) so that it never blocks on a full pipe."""
    p = subprocess.Popen([tollgate, "serve", "--db", url, "--listen", "127.0.0.1:0", *extra],
                         stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    for line in p.stdout:
        if "listening on" in line:
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, int(line.rsplit(":", 1)[1])
    raise AssertionError("serve did not start")
