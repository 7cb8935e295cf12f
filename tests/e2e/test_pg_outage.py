"""PostgreSQL going away under a running server (store.backend=postgres).

These tests stop and restart the cluster of XIMSSD_TEST_PG_DIR (scripts/pg_cluster): run them on
a cluster of their own, or one no other test run is using at the same time.

  - restarted under load: clients appending through two nodes (IMAP APPEND, XIMSS messageAppend)
    get OK or a clear error for every operation (IMAP NO with a text, a XIMSS error response),
    never a hang or a dropped connection; every acknowledged append is stored with its exact
    bytes; the same connections append again once the database is back, the servers keep
    running, and the other node's sessions hear of changes again (its listener reconnected);
  - stopped: a login or a SELECT answers with an error within seconds, and the same connections
    work once the database is started again.
"""

import hashlib
import re
import threading
import time

import pytest

import pg_support
from imap_raw import ImapRaw, message, select_info
from ximss_client import XimssClient, escape_text

pytestmark = pytest.mark.postgres_only

USER = "outage@example.dom"
PASSWORD = "outage-pw-1"
MAILBOX = "Load"
OP_TIMEOUT = 20   # no operation may take longer (a hang fails the test)
ANSWER_LIMIT = 8  # an error must come within this many seconds
AFTER = 4         # how long the load goes on after the restart


def imap_session(server, timeout=OP_TIMEOUT):
    c = ImapRaw.connect(server.host, server.imap_port, timeout=timeout)
    c.login(USER, PASSWORD)
    return c


def appended_uid(reply):
    assert reply.code and reply.code.upper().startswith("APPENDUID "), reply
    return int(reply.code.split()[2])


def ximss_email(subject, marker):
    return (f"<EMail><From>load@example.dom</From><Subject>{escape_text(subject)}</Subject>"
            f'<MIME type="text" subtype="plain">{marker}\n</MIME></EMail>')


class Appender:
    """Appends to MAILBOX over one connection until told to stop, recording every operation:
    (seq, sent, answered, outcome, detail), outcome "ok" (detail: UID), "error" (the text) or
    "broken" (no answer in time, a dropped connection, a malformed answer)."""

    def __init__(self, name, kind, connection):
        self.name = name
        self.kind = kind  # "imap" or "ximss"
        self.c = connection
        self.ops = []
        self.sent = {}  # seq -> the bytes (IMAP) or the marker text (XIMSS)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def ok_count(self, since=0.0):
        return sum(1 for op in self.ops if op[3] == "ok" and op[1] >= since)

    def append_once(self, seq):
        """One append; returns (outcome, detail)."""
        if self.kind == "imap":
            data = message(subject=f"{self.name} {seq}", message_id=f"<{self.name}.{seq}@outage>",
                           body=f"load from {self.name}, append {seq}\r\n" + "z" * (seq * 37 % 2000) + "\r\n")
            self.sent[seq] = data
            r = self.c.append(MAILBOX, data, plus=True)
            if r.status == "OK":
                return "ok", appended_uid(r)
            if r.status == "NO" and r.text and r.text.strip():
                return "error", r.text
            return "broken", repr(r)
        marker = f"ximss load {self.name} {seq} {'y' * (seq % 20)}"
        self.sent[seq] = marker
        r = self.c.request("messageAppend", {"targetMailbox": MAILBOX, "report": "uid"},
                           body=ximss_email(f"{self.name} {seq}", marker), timeout=OP_TIMEOUT)
        if r.ok:
            return "ok", int(r.data[0].get("UID"))
        if r.error_text and r.error_text.strip():
            return "error", r.error_text
        return "broken", repr(r)

    def run(self):
        seq = 0
        while not self.stop.is_set():
            sent = time.monotonic()
            try:
                outcome, detail = self.append_once(seq)
            except Exception as e:  # a timeout or a dropped connection: nothing more on it
                self.ops.append((seq, sent, time.monotonic(), "broken", repr(e)))
                return
            self.ops.append((seq, sent, time.monotonic(), outcome, detail))
            seq += 1
            if outcome == "error":
                time.sleep(0.05)  # the database is away: do not spin


def drain_notifications(client):
    """Takes the folder notifications already sent (the next one is then a new change's)."""
    while True:
        try:
            client.wait_async("folderReport", timeout=0.3)
        except TimeoutError:
            return


def stored_messages(server):
    """{uid: body bytes} of MAILBOX, read from the database and the body files directly."""
    rows = server.store_query(
        "SELECT msg.uid, msg.blob_id, msg.size FROM messages msg JOIN mailboxes m ON m.id = msg.mailbox_id "
        "JOIN accounts a ON a.id = m.account_id WHERE a.name = 'outage' AND m.name = ?", (MAILBOX,))
    out = {}
    for uid, blob, size in rows:
        body = server.blob_path(blob).read_bytes()
        assert len(body) == size and hashlib.blake2b(body, digest_size=32).hexdigest() == blob, f"UID {uid}"
        out[uid] = body
    return out


def test_restart_under_load(start_server):
    a = start_server()
    b = start_server(share_store_with=a)
    a.add_account(USER, PASSWORD)
    setup = imap_session(a)
    setup.ok(f"CREATE {MAILBOX}")

    appenders = [
        Appender("imapA1", "imap", imap_session(a)),
        Appender("imapA2", "imap", imap_session(a)),
        Appender("imapB1", "imap", imap_session(b)),
        Appender("ximssA1", "ximss", a.login(USER, PASSWORD, timeout=OP_TIMEOUT)),
        Appender("ximssB1", "ximss", b.login(USER, PASSWORD, timeout=OP_TIMEOUT)),
    ]
    # Sessions on B that only listen: an IDLE session and a Folder View on MAILBOX.
    idle = imap_session(b)
    idle.select(MAILBOX)
    idle_tag = idle.idle()
    viewer = b.login(USER, PASSWORD)
    r = viewer.request("folderOpen", {"folder": "load", "mailbox": MAILBOX}, body="<field>Subject</field>")
    assert r.ok, r

    for ap in appenders:
        ap.thread.start()
    try:
        deadline = time.monotonic() + 30
        while any(ap.ok_count() < 3 for ap in appenders) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(ap.ok_count() >= 3 for ap in appenders), [(ap.name, ap.ops[-3:]) for ap in appenders]
        restart_began = time.monotonic()
        pg_support.restart_cluster()
        restart_ended = time.monotonic()
        time.sleep(AFTER)
    finally:
        for ap in appenders:
            ap.stop.set()
        for ap in appenders:
            ap.thread.join(OP_TIMEOUT + 5)
    assert not any(ap.thread.is_alive() for ap in appenders), "an append did not answer"

    # Every operation was answered in time, with OK or a clear error; nothing hung or broke.
    for ap in appenders:
        broken = [op for op in ap.ops if op[3] == "broken"]
        assert not broken, f"{ap.name}: {broken}"
        slow = [op for op in ap.ops if op[2] - op[1] > ANSWER_LIMIT]
        assert not slow, f"{ap.name}: answered after more than {ANSWER_LIMIT} s: {slow}"
    errors = [(ap.name, op) for ap in appenders for op in ap.ops if op[3] == "error"]
    assert errors, "no operation failed: the restart was not noticed"
    for ap in appenders:  # an IMAP response is one line (the database's messages span several)
        for op in ap.ops:
            assert ap.kind != "imap" or op[3] != "error" or not re.search(r"[\r\n]", op[4]), (ap.name, op)
    # Errors only while the database was away: an append sent once it was back succeeds (the
    # connections the restart closed are replaced, not reported as failures).
    late_errors = [(name, round(op[1] - restart_ended, 3), op[4]) for name, op in errors if op[1] > restart_ended]
    assert not late_errors, f"errors after the database was back (seconds after): {late_errors}"
    for ap in appenders:
        assert ap.ok_count(since=restart_ended) >= 1, f"{ap.name}: no append succeeded after the restart"

    # The same connections, again (no new login): one more append each, which must succeed.
    for ap in appenders:
        outcome, detail = ap.append_once(10**6)
        assert outcome == "ok", (ap.name, outcome, detail)
        ap.ops.append((10**6, 0.0, 0.0, outcome, detail))
    assert a.is_running() and b.is_running()

    # Every acknowledged append is stored with its exact bytes (IMAP) or its text (XIMSS).
    stored = stored_messages(a)
    acknowledged = [(ap, op[0], op[4]) for ap in appenders for op in ap.ops if op[3] == "ok"]
    uids = [uid for _, _, uid in acknowledged]
    assert len(uids) == len(set(uids)), "a UID was acknowledged twice"
    for ap, seq, uid in acknowledged:
        assert uid in stored, f"{ap.name}: append {seq} was acknowledged with UID {uid} but is not stored"
        if ap.kind == "imap":
            assert stored[uid] == ap.sent[seq], f"{ap.name}: UID {uid} differs from what was appended"
        else:
            assert ap.sent[seq].encode() in stored[uid] and f"Subject: {ap.name} {seq}\r\n".encode() in stored[uid], \
                f"{ap.name}: UID {uid} is not append {seq}"
    # Read back through both servers: the same messages.
    for node in (a, b):
        c = imap_session(node)
        info = select_info(c.select(MAILBOX))
        assert info["EXISTS"] == len(stored), (info, len(stored))
        c.close()

    # B's listener is back: a change through A reaches B's IDLE session and B's view, which
    # were open across the restart.
    assert viewer.request("folderSync", {"folder": "load"}).ok
    drain_notifications(viewer)
    last = appended_uid(setup.append(MAILBOX, message(subject="after the restart")))
    count = len(stored) + 1
    lines = idle.read_until(lambda line: line == f"* {count} EXISTS", timeout=10)
    assert lines[-1] == f"* {count} EXISTS"
    note = viewer.wait_async("folderReport", timeout=10)
    assert note.get("mode") == "notify", note.attrib
    r = viewer.request("folderSync", {"folder": "load"})
    assert r.ok and [(d.get("mode"), int(d.get("UID"))) for d in r.data] == [("added", last)], r
    assert idle.done(idle_tag).ok
    for ap in appenders:
        ap.c.close()

    oks = sum(ap.ok_count() for ap in appenders)
    kinds = sorted({(ap_name.rstrip("AB12"), op[4][:90]) for ap_name, op in errors})
    print(f"{oks} appends acknowledged, {len(errors)} refused; restart took {restart_ended - restart_began:.1f} s; "
          f"errors: {kinds}")


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_stopped_database_answers_errors_quickly_and_the_same_connections_recover(server):
    server.add_account(USER, PASSWORD)
    imap_in = imap_session(server)          # logged in before the outage
    ximss_in = server.login(USER, PASSWORD)
    imap_new = ImapRaw.connect(server.host, server.imap_port, timeout=OP_TIMEOUT)  # not yet logged in
    ximss_new = XimssClient(server.host, server.port, timeout=OP_TIMEOUT).connect()
    try:
        pg_support.stop_cluster()

        r, took = timed(lambda: imap_in.command("SELECT INBOX"))
        assert r.status == "NO" and r.text.strip() and took < ANSWER_LIMIT, (r, took)
        assert "\n" not in r.text, r  # one line (the database's messages span several)
        r, took = timed(lambda: imap_new.command(f'LOGIN "{USER}" "{PASSWORD}"'))
        assert r.status == "NO" and r.text.strip() and took < ANSWER_LIMIT, (r, took)
        assert "\n" not in r.text, r
        # Not the answer to a wrong password: a client would ask its user for another one.
        assert (r.code or "").upper() != "AUTHENTICATIONFAILED", r
        r, took = timed(lambda: ximss_in.request("folderOpen", {"folder": "INBOX", "mailbox": "INBOX"},
                                                 body="<field>Subject</field>"))
        assert not r.ok and r.error_text and took < ANSWER_LIMIT, (r, took)
        r, took = timed(lambda: ximss_new.login_plain(USER, PASSWORD))
        assert not r.ok and r.error_text and took < ANSWER_LIMIT, (r, took)
        assert server.is_running()
    finally:
        pg_support.start_cluster()

    # The same connections work again.
    info = select_info(imap_in.select("INBOX"))
    assert info["EXISTS"] == 0, info
    assert imap_in.append("INBOX", message(subject="after the outage")).ok
    imap_new.login(USER, PASSWORD)
    assert select_info(imap_new.select("INBOX"))["EXISTS"] == 1
    r = ximss_in.request("folderOpen", {"folder": "INBOX", "mailbox": "INBOX"}, body="<field>Subject</field>")
    assert r.ok, r
    r = ximss_new.login_plain(USER, PASSWORD)
    assert r.ok, r
    r = ximss_new.request("folderOpen", {"folder": "INBOX", "mailbox": "INBOX"}, body="<field>Subject</field>")
    assert r.ok, r
    for c in (imap_in, imap_new, ximss_new):
        c.close()


def test_changes_right_after_the_database_returns_reach_the_other_node(start_server):
    """The other node's listener was cut off: changes committed before it listens again are made
    up for (it reports everything when it reconnects), and its sessions, idle all through the
    outage, read them on connections the restart closed."""
    a = start_server()
    b = start_server(share_store_with=a)
    a.add_account(USER, PASSWORD)
    writer = imap_session(a)
    idle = imap_session(b)
    idle.select("INBOX")
    viewer = b.login(USER, PASSWORD)
    r = viewer.request("folderOpen", {"folder": "INBOX", "mailbox": "INBOX"}, body="<field>Subject</field>")
    assert r.ok, r
    tag = idle.idle()
    try:
        pg_support.stop_cluster()
    finally:
        pg_support.start_cluster()
    uid = appended_uid(writer.append("INBOX", message(subject="just after the outage")))
    lines = idle.read_until(lambda line: re.match(r"^\* \d+ EXISTS$", line) is not None, timeout=10)
    assert lines[-1] == "* 1 EXISTS", lines
    note = viewer.wait_async("folderReport", timeout=10)
    assert note.get("mode") == "notify", note.attrib
    r = viewer.request("folderSync", {"folder": "INBOX"})
    assert r.ok and [(d.get("mode"), int(d.get("UID"))) for d in r.data] == [("added", uid)], r
    assert idle.done(tag).ok
    assert idle.ok("UID FETCH 1:* (UID)").fetches()[1]["UID"] == uid
    for c in (writer, idle):
        c.close()
