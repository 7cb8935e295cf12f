"""PostgreSQL for the tests: the backend under test, databases in the private cluster, and the
cluster itself (scripts/pg_cluster). Only psql is used (no Python driver).

Environment:
    XIMSSD_TEST_BACKEND   "postgres" runs the server on PostgreSQL; anything else: SQLite
    XIMSSD_TEST_PG        base libpq conninfo of the cluster ("host=127.0.0.1 port=N user=postgres")
    XIMSSD_TEST_PG_DIR    the cluster's directory (for start/stop/restart_cluster)

scripts/test sets all three. Run by hand with XIMSSD_TEST_BACKEND=postgres and no XIMSSD_TEST_PG,
the suite starts a cluster of its own for the session (ensure_cluster()).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PG_CLUSTER = REPO / "scripts" / "pg_cluster"
DATABASE_OPTIONS = "ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def backend():
    return "postgres" if os.environ.get("XIMSSD_TEST_BACKEND") == "postgres" else "sqlite"


def base_conninfo():
    conninfo = os.environ.get("XIMSSD_TEST_PG")
    if not conninfo:
        raise RuntimeError("XIMSSD_TEST_PG is not set (start a cluster: scripts/pg_cluster start DIR)")
    return conninfo


def psql_binary():
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"), key=lambda p: int(p.parts[-3]))
    return str(versions[-1]) if versions else shutil.which("psql") or "psql"


def database_name(conninfo):
    """The dbname of a conninfo (or the argument itself when it is a bare name)."""
    match = re.search(r"(?:^|\s)dbname=(\S+)", conninfo)
    return match.group(1) if match else conninfo


def psql(sql, conninfo=None, variables=None, timeout=120):
    """Runs SQL (a script read from stdin, stopping at the first error); returns its stdout.

    `variables` become psql variables: :'name' in the SQL is the quoted literal of the value.
    """
    conninfo = conninfo or f"{base_conninfo()} dbname=postgres"
    args = [psql_binary(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f", "-"]
    for name, value in (variables or {}).items():
        args += ["-v", f"{name}={value}"]
    cp = subprocess.run(args, input=sql.encode(), capture_output=True, timeout=timeout)
    if cp.returncode != 0:
        raise RuntimeError(f"psql failed ({cp.returncode}) on {conninfo!r}:\n{sql}\n"
                           f"{cp.stderr.decode(errors='replace')}")
    return cp.stdout.decode(errors="surrogateescape")


def query(conninfo, sql, params=()):
    """Rows of a SELECT as a list of tuples, like sqlite3's fetchall(); `?` are the params.

    Integers come back as int, texts as str, NULL as None (through json: bytea would be a
    "\\x..." string).
    """
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1:
        raise ValueError(f"{len(pieces) - 1} placeholders, {len(params)} parameters: {sql}")
    text = pieces[0] + "".join(f":'p{i}'" + piece for i, piece in enumerate(pieces[1:]))
    out = psql(f"SELECT json_agg(t) FROM ({text}) t;\n", conninfo,
               {f"p{i}": "" if v is None else str(int(v) if isinstance(v, bool) else v) for i, v in enumerate(params)})
    out = out.strip()
    if not out:
        return []
    return [tuple(value for _, value in row) for row in json.loads(out, object_pairs_hook=list)]


def create_database():
    """A fresh, uniquely named database for one server (or a group of nodes); its full conninfo."""
    name = f"x_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    psql(f"CREATE DATABASE {name} {DATABASE_OPTIONS};\n")
    return f"{base_conninfo()} dbname={name}"


def drop_database(name):
    """Drops a database (a name or a conninfo), ending the sessions still connected to it."""
    name = database_name(name)
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a test database name: {name!r}")
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);\n")


# --- the cluster ---------------------------------------------------------------------------

def _cluster(command):
    directory = os.environ.get("XIMSSD_TEST_PG_DIR")
    if not directory:
        raise RuntimeError("XIMSSD_TEST_PG_DIR is not set (the directory of scripts/pg_cluster)")
    cp = subprocess.run([str(PG_CLUSTER), command, directory], capture_output=True, text=True, timeout=300)
    if cp.returncode != 0:
        raise RuntimeError(f"scripts/pg_cluster {command} {directory} failed:\n{cp.stderr}")
    return cp.stdout.strip()


def start_cluster():
    """Starts the cluster again (same port); returns its base conninfo."""
    return _cluster("start")


def stop_cluster():
    """Stops the cluster (fast: connected sessions are ended)."""
    _cluster("stop")


def restart_cluster():
    """Stops and starts the cluster on the same port (servers' connections are cut)."""
    return _cluster("restart")


def ensure_running():
    """Starts the cluster if it is down (after a test that stopped it failed before starting it
    again); a no-op without XIMSSD_TEST_PG_DIR."""
    if not os.environ.get("XIMSSD_TEST_PG_DIR"):
        return
    port = int(re.search(r"(?:^|\s)port=(\d+)", base_conninfo()).group(1))
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        start_cluster()


def ensure_cluster():
    """For the postgres backend without XIMSSD_TEST_PG: starts a private cluster and exports the
    variables. Returns a function that stops it and removes its directory (None when nothing was
    started)."""
    if backend() != "postgres" or os.environ.get("XIMSSD_TEST_PG"):
        return None
    directory = tempfile.mkdtemp(prefix="ximssd-pg.")
    os.environ["XIMSSD_TEST_PG_DIR"] = directory

    def stop():
        subprocess.run([str(PG_CLUSTER), "stop", directory], capture_output=True, timeout=300)
        shutil.rmtree(directory, ignore_errors=True)
        os.environ.pop("XIMSSD_TEST_PG", None)
        os.environ.pop("XIMSSD_TEST_PG_DIR", None)
    try:
        os.environ["XIMSSD_TEST_PG"] = _cluster("start")
    except BaseException:
        stop()
        raise
    return stop
