"""Starts and stops a real ximssd for the tests, and the pytest fixtures built on it.

The conftest.py files import the fixtures from here (tests/e2e and tests/conformance share them).
With XIMSSD_TEST_BACKEND=postgres every server gets a fresh PostgreSQL database (pg_support.py).
"""

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import pg_support
from ximss_client import XimssClient

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DOMAIN = "example.dom"
POSTMASTER = f"postmaster@{DEFAULT_DOMAIN}"

# Fast, deterministic defaults: cheap password hashing, short throttle (the tests only assert
# lower bounds), loopback only.
BASE_SETTINGS = {
    "ximss.listen": "127.0.0.1",
    "http.listen": "127.0.0.1",
    "imap.listen": "127.0.0.1",
    "server.default_domain": DEFAULT_DOMAIN,
    "auth.argon2_opslimit": 1,
    "auth.argon2_memlimit_kib": 8,
    "auth.throttle_base_ms": 50,
}
STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 10
# The suite runs against the ASan+UBSan build: any of these in stderr fails the test.
SANITIZER_MARKERS = re.compile(r"ERROR: \w*Sanitizer|runtime error:")
PASSWORD_LINE = re.compile(rf"{re.escape(POSTMASTER)} password: (\S+)")
READY_LINE = "ximssd: ready"


def server_binary():
    return Path(os.environ.get("XIMSSD_BIN", REPO / "build" / "ximssd"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setting_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class XimssServer:
    """One ximssd process on its own data directory and port.

    Its store: SQLite in the data directory, or (XIMSSD_TEST_BACKEND=postgres) a PostgreSQL
    database of its own, created by start() and kept across restart(). share_store_with=other
    makes a second node on other's store: the same database and message-body directory
    (other's DATA/blobs, set as store.blobs for both); PostgreSQL only (skips the test on SQLite).
    Start `other` first: the node takes other's postmaster password.
    """

    def __init__(self, workdir, settings=None, binary=None, share_store_with=None):
        self.binary = Path(binary or server_binary())
        self.workdir = Path(workdir)
        # The data dir must be empty on first start, so the logs live next to it.
        self.data_dir = self.workdir / "data"
        self.stdout_path = self.workdir / "ximssd.stdout.log"
        self.stderr_path = self.workdir / "ximssd.stderr.log"
        self.settings = {**BASE_SETTINGS, **(settings or {})}
        self.host = "127.0.0.1"
        self.port = None
        self.http_port = None   # XIMSS over HTTP (http.port)
        self.https_port = None  # the same over TLS (http.tls_port)
        self.imap_port = None   # IMAP with STARTTLS (imap.port)
        self.imaps_port = None  # IMAPS (imap.tls_port)
        self.lmtp_port = None   # LMTP (lmtp.port)
        self.smtp_port = None   # inbound SMTP (smtp.port)
        self.postmaster_password = None
        self.proc = None
        self._clients = []
        self._imap_clients = []
        self.pg_conninfo = None  # the server's PostgreSQL database (postgres backend)
        self._owns_database = False
        self.store_owner = share_store_with
        if share_store_with is not None:
            if pg_support.backend() != "postgres":
                pytest.skip("two nodes share a store only on PostgreSQL")
            blobs = share_store_with.settings.setdefault("store.blobs", str(share_store_with.data_dir / "blobs"))
            self.settings.setdefault("store.blobs", blobs)

    # --- the store -------------------------------------------------------------------------
    @property
    def blob_dir(self):
        """Where the message bodies are (store.blobs; default DATA/blobs)."""
        return Path(self.settings.get("store.blobs") or self.data_dir / "blobs")

    def blob_path(self, blob_id):
        return self.blob_dir / blob_id[:2] / blob_id

    def store_query(self, sql, params=()):
        """Rows of a SELECT on the server's store, read independently of the server's code:
        SQLite's file read-only, or the PostgreSQL database through psql (`?` placeholders)."""
        if self.pg_conninfo:
            return pg_support.query(self.pg_conninfo, sql, params)
        db = sqlite3.connect(f"file:{self.data_dir / 'ximssd.db'}?mode=ro", uri=True)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def store_settings(self):
        """The store.* settings, which the admin commands need as well as `serve`."""
        out = {k: v for k, v in self.settings.items() if k.startswith("store.")}
        if self.pg_conninfo:
            out.update({"store.backend": "postgres", "store.postgres": self.pg_conninfo})
        return out

    def _new_store(self):
        """Before a first start: a fresh database (postgres backend), or the shared node's."""
        if self.store_owner is not None:
            if not self.store_owner.pg_conninfo:
                raise AssertionError("share_store_with: start the first node first")
            self.pg_conninfo = self.store_owner.pg_conninfo
            self.postmaster_password = self.store_owner.postmaster_password
        elif pg_support.backend() == "postgres":
            self.drop_database()
            self.pg_conninfo = pg_support.create_database()
            self._owns_database = True

    def drop_database(self):
        """Drops the server's own database, if it has one (not a shared node's)."""
        if self._owns_database:
            self._owns_database = False
            pg_support.drop_database(self.pg_conninfo)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self):
        if not self.binary.exists():
            pytest.fail(f"server binary {self.binary} not found (build it or set XIMSSD_BIN)")
        for attempt in range(3):  # another process may grab the free port before we bind it
            shutil.rmtree(self.data_dir, ignore_errors=True)  # a first start needs it empty
            self.data_dir.mkdir(parents=True)
            self._new_store()
            self.port = int(self.settings.get("ximss.port") or free_port())
            self.http_port = int(self.settings.get("http.port") or free_port())
            self.https_port = int(self.settings.get("http.tls_port") or free_port())
            self.imap_port = int(self.settings.get("imap.port") or free_port())
            self.imaps_port = int(self.settings.get("imap.tls_port") or free_port())
            self.lmtp_port = int(self.settings.get("lmtp.port") or free_port())
            self.smtp_port = int(self.settings.get("smtp.port") or free_port())
            if self._spawn(first_start=self.store_owner is None):
                return self
            if "ximss.port" in self.settings or "http.port" in self.settings or "in use" not in self.stderr_text().lower():
                break
        pytest.fail(f"ximssd did not start:\n{self.output_summary()}")

    def restart(self):
        """Starts the server again on its existing data directory (after stop() or a kill)."""
        if self.is_running():
            raise AssertionError("restart() while the server is running")
        if not self._spawn(first_start=False):
            pytest.fail(f"ximssd did not restart:\n{self.output_summary()}")
        return self

    def _spawn(self, first_start=True):
        args = [str(self.binary), "serve", "--data", str(self.data_dir)]
        ports = {"ximss.port": self.port, "http.port": self.http_port, "http.tls_port": self.https_port,
                 "imap.port": self.imap_port, "imap.tls_port": self.imaps_port,
                 "lmtp.port": self.lmtp_port, "smtp.port": self.smtp_port}
        for key, value in {**self.settings, **self.store_settings(), **ports}.items():
            args += ["--set", f"{key}={setting_text(value)}"]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            stdout = self.stdout_text()
            match = PASSWORD_LINE.search(stdout)
            if match:
                self.postmaster_password = match.group(1)
            if READY_LINE in stdout:
                if first_start and self.postmaster_password is None:
                    pytest.fail(f"ready, but no postmaster password was printed:\n{self.output_summary()}")
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        pytest.fail(f"ximssd not ready after {STARTUP_TIMEOUT} s:\n{self.output_summary()}")

    def stop(self):
        """SIGTERM, wait, kill. Returns a list of problems (empty when the exit was clean)."""
        for c in self._clients:
            c.close()
        for c in self._imap_clients:
            try:
                c.shutdown()
            except Exception:
                pass
        self._imap_clients = []
        if self.proc is None:
            return []
        problems = []
        if self.proc.poll() is not None:
            problems.append(f"ximssd died during the test (exit code {self.proc.returncode})")
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append(f"ximssd did not exit within {STOP_TIMEOUT} s of SIGTERM")
            if self.proc.returncode != 0:
                problems.append(f"ximssd exited with code {self.proc.returncode}")
        if SANITIZER_MARKERS.search(self.stderr_text()):
            problems.append("sanitizer report in ximssd's stderr")
        if problems:
            problems.append(self.output_summary())
        self.proc = None
        return problems

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    # --- output ----------------------------------------------------------------------------
    def stdout_text(self):
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr_text(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def log_text(self):
        """Everything the server wrote (the log goes to stderr; stdout is included for safety)."""
        return self.stderr_text() + self.stdout_text()

    def output_summary(self, limit=6000):
        return (f"--- stdout ({self.stdout_path}):\n{self.stdout_text()[-limit:]}\n"
                f"--- stderr ({self.stderr_path}):\n{self.stderr_text()[-limit:]}")

    # --- helpers for tests -----------------------------------------------------------------
    def admin(self, *args, timeout=60):
        """Runs `ximssd ARGS --data DIR` (with the store.* settings); returns the CompletedProcess
        (text mode)."""
        cmd = [str(self.binary), *map(str, args), "--data", str(self.data_dir)]
        for key, value in self.store_settings().items():
            cmd += ["--set", f"{key}={setting_text(value)}"]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def admin_ok(self, *args):
        """admin() that must succeed."""
        cp = self.admin(*args)
        assert cp.returncode == 0, f"ximssd {' '.join(map(str, args))} failed ({cp.returncode}):\n{cp.stdout}{cp.stderr}"
        return cp

    def add_account(self, user, password, real_name=None):
        args = ["account", "add", user, "--password", password]
        if real_name is not None:
            args += ["--real-name", real_name]
        return self.admin_ok(*args)

    def add_domain(self, name, allow_signup=False):
        return self.admin_ok("domain", "add", name, *(["--allow-signup"] if allow_signup else []))

    def client(self, timeout=10, connect=True):
        """A new XimssClient (connected by default); closed at teardown."""
        c = XimssClient(self.host, self.port, timeout=timeout)
        self._clients.append(c)
        return c.connect() if connect else c

    def imap(self, user=POSTMASTER, password=None, timeout=10, login=True):
        """An imaplib.IMAP4 connected to the IMAP port (logged in by default); closed at teardown."""
        import imaplib
        c = imaplib.IMAP4(self.host, self.imap_port, timeout=timeout)
        self._imap_clients.append(c)
        if login:
            typ, _ = c.login(user, self.postmaster_password if password is None else password)
            assert typ == "OK", f"IMAP login as {user} failed"
        return c

    def login(self, user=POSTMASTER, password=None, timeout=10):
        """A connected client logged in with the cleartext method (asserts success)."""
        c = self.client(timeout=timeout)
        reply = c.login_plain(user, self.postmaster_password if password is None else password)
        assert reply.ok, f"login as {user} failed: {reply}"
        return c


# --- fixtures ------------------------------------------------------------------------------

def _stop_all(servers):
    problems = []
    for s in servers:
        problems += s.stop()
    if pg_support.backend() == "postgres":
        pg_support.ensure_running()  # a test that stopped the cluster may have failed before restarting it
        for s in servers:
            s.drop_database()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _marker_settings(request):
    marker = request.node.get_closest_marker("server_settings")
    return dict(marker.args[0]) if marker and marker.args else dict(marker.kwargs) if marker else {}


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server({"ximss.login_timeout": 2}) -> a running XimssServer;
    start_server(share_store_with=first) -> a second node on first's store (PostgreSQL only).

    Every server it started is stopped at teardown, and the test fails if one exited uncleanly
    or reported a sanitizer error.
    """
    servers = []

    def start(settings=None, share_store_with=None, **more):
        s = XimssServer(tmp_path / f"server{len(servers)}", {**(settings or {}), **more},
                        share_store_with=share_store_with)
        servers.append(s)
        return s.start()

    yield start
    _stop_all(servers)


@pytest.fixture
def server(request, start_server):
    """A fresh server; settings may come from @pytest.mark.server_settings({...})."""
    return start_server(_marker_settings(request))


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """One server shared by a module's tests (for tests that only read, or use unique names)."""
    s = XimssServer(tmp_path_factory.mktemp("ximssd"))
    s.start()
    yield s
    _stop_all([s])


def configure(config):
    config.addinivalue_line(
        "markers", "server_settings(dict): extra --set settings for the `server` fixture")
    config.addinivalue_line("markers", "sqlite_only: skipped on the PostgreSQL backend")
    config.addinivalue_line("markers", "postgres_only: skipped on the SQLite backend")
    stop_cluster = pg_support.ensure_cluster()  # postgres backend without a cluster: start one
    if stop_cluster:
        config.add_cleanup(stop_cluster)


def skip_for_backend(item):
    """pytest_runtest_setup: honours @pytest.mark.sqlite_only and @pytest.mark.postgres_only."""
    backend = pg_support.backend()
    if backend == "postgres" and item.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite only")
    if backend == "sqlite" and item.get_closest_marker("postgres_only"):
        pytest.skip("PostgreSQL only")
