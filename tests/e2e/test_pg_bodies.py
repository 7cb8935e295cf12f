"""Message bodies stored in PostgreSQL (store.blob_storage = database): written by the commit of
their messages, read back byte for byte, shared by nodes that share no directory, removed by
garbage collection only when nothing references them, and durable across kill -9."""

import os
import signal

import pytest

pytestmark = pytest.mark.postgres_only

USER, PASSWORD = "bodies@example.dom", "bodies-pw-1"
IN_DATABASE = {"store.blob_storage": "database"}


def message(n, size=2000):
    filler = ("line %d of a body stored in the database\r\n" % n) * (size // 40)
    return (f"From: a@example.dom\r\nTo: {USER}\r\nSubject: body {n}\r\n\r\n" + filler).encode()


def body_rows(server):
    return server.store_query("SELECT id, length(data) FROM blobs ORDER BY id")


def test_bodies_live_in_the_database_and_are_served_exactly(start_server):
    server = start_server(IN_DATABASE)
    server.add_account(USER, PASSWORD)
    imap = server.imap(USER, PASSWORD)
    sent = [message(i, size) for i, size in enumerate((300, 70_000, 2_000_000))]
    for body in sent:
        typ, _ = imap.append("INBOX", None, None, body)
        assert typ == "OK"
    imap.select("INBOX")
    for i, body in enumerate(sent, start=1):
        typ, data = imap.uid("FETCH", str(i), "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1] == body, f"UID {i}"
        typ, data = imap.uid("FETCH", str(i), "(BODY.PEEK[HEADER])")
        assert data[0][1] == body[:body.index(b"\r\n\r\n") + 4]
    rows = body_rows(server)
    assert sorted(int(n) for _, n in rows) == sorted(len(b) for b in sent)
    files = [p for p in server.blob_dir.rglob("*") if p.is_file()] if server.blob_dir.exists() else []
    assert files == [], "bodies were written as files"


def test_a_second_node_without_a_shared_directory_serves_the_first_nodes_bodies(start_server, tmp_path):
    first = start_server(IN_DATABASE)
    first.add_account(USER, PASSWORD)
    body = message(7, 50_000)
    imap_a = first.imap(USER, PASSWORD)
    assert imap_a.append("INBOX", None, None, body)[0] == "OK"
    second = start_server(IN_DATABASE, share_store_with=first)
    # The harness points both nodes at one blob directory; with bodies in the database neither
    # uses it, so the second node reads through the database only.
    imap_b = second.imap(USER, PASSWORD)
    imap_b.select("INBOX", readonly=True)
    typ, data = imap_b.uid("FETCH", "1", "(BODY.PEEK[])")
    assert typ == "OK" and data[0][1] == body
    assert not first.blob_dir.exists() or not any(p.is_file() for p in first.blob_dir.rglob("*"))


def test_garbage_collection_keeps_referenced_bodies_and_removes_old_orphans(start_server):
    server = start_server(IN_DATABASE)
    server.add_account(USER, PASSWORD)
    imap = server.imap(USER, PASSWORD)
    kept, dropped = message(1), message(2)
    assert imap.append("INBOX", None, None, kept)[0] == "OK"
    assert imap.append("INBOX", None, None, dropped)[0] == "OK"
    imap.select("INBOX")
    imap.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.logout()
    assert len(body_rows(server)) == 2
    # Both bodies are made old; garbage collection runs at every start.
    assert not server.stop()
    from pg_support import psql
    psql("UPDATE blobs SET created = 1000;", server.pg_conninfo)
    server.restart()
    rows = body_rows(server)
    assert [int(n) for _, n in rows] == [len(kept)], rows
    imap = server.imap(USER, PASSWORD)
    imap.select("INBOX")
    assert imap.uid("FETCH", "1", "(BODY.PEEK[])")[1][0][1] == kept


def test_acknowledged_appends_survive_kill_9(start_server):
    server = start_server(IN_DATABASE)
    server.add_account(USER, PASSWORD)
    imap = server.imap(USER, PASSWORD)
    acknowledged = {}
    for i in range(40):
        body = message(100 + i)
        typ, data = imap.append("INBOX", None, None, body)
        assert typ == "OK"
        uid = int(data[0].split(b"APPENDUID")[1].split()[1].rstrip(b"]"))
        acknowledged[uid] = body
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    server.proc = None
    server.restart()
    imap = server.imap(USER, PASSWORD)
    imap.select("INBOX", readonly=True)
    for uid, body in acknowledged.items():
        typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1] == body, f"UID {uid} lost or changed"
