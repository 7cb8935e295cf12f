"""Two ximssd nodes on one PostgreSQL database (store.backend=postgres, one store.blobs): a change
committed through one node reaches the sessions of the other through the change notifications
(NOTIFY with each commit, PgChangeListener, ChangeHub), with nothing polled:

  - appends (XIMSS messageAppend, IMAP APPEND, LMTP delivery) through node A raise the
    asynchronous notify of a Folder View open on node B, and EXISTS in an IMAP IDLE session on B;
  - flag changes and expunges through A arrive in B's IDLE session as FETCH and EXPUNGE;
  - many clients on both nodes changing shared mailboxes at once: UIDs are unique, increase in
    the order appends and copies are acknowledged and are never reused; HIGHESTMODSEQ only grows
    and is never below a MODSEQ the client was told before it; the final flags are those of the
    acknowledged operations, and both nodes (fresh IMAP sessions, and Folder Views open all
    along) show the same final state, bodies included.
"""

import hashlib
import os
import random
import re
import smtplib
import threading
import time

import pytest

from imap_raw import ImapRaw, message, parse_fetch, select_info, status_items
from ximss_client import escape_text

pytestmark = pytest.mark.postgres_only

USER = "nodes@example.dom"
PASSWORD = "nodes-pw-1"
SENDER = "sender@remote.example"
WAIT = 10  # how long an update that must come may take (none is polled: without the relay, never)


@pytest.fixture
def nodes(start_server):
    """Node A and node B on one database and one body directory, and an account."""
    a = start_server()
    b = start_server(share_store_with=a)
    a.add_account(USER, PASSWORD)
    return a, b


@pytest.fixture
def imap_on():
    """imap_on(server) -> an ImapRaw session logged in as USER (closed at teardown)."""
    sessions = []

    def connect(server, timeout=WAIT, login=True):
        c = ImapRaw.connect(server.host, server.imap_port, timeout=timeout)
        sessions.append(c)
        if login:
            c.login(USER, PASSWORD)
        return c

    yield connect
    for c in sessions:
        c.close()


# --- helpers -------------------------------------------------------------------------------------

def wait_line(c, pattern, timeout=WAIT):
    """Reads (sending nothing) until a line matches; returns it."""
    rx = re.compile(pattern)
    return c.read_until(lambda line: rx.search(line) is not None, timeout=timeout)[-1]


def appended_uid(reply):
    assert reply.ok and reply.code and reply.code.upper().startswith("APPENDUID "), reply
    return int(reply.code.split()[2])


def ximss_append(client, mailbox, subject, text):
    email = (f"<EMail><From>a@example.dom</From><Subject>{escape_text(subject)}</Subject>"
             f'<MIME type="text" subtype="plain">{escape_text(text)}\n</MIME></EMail>')
    r = client.request("messageAppend", {"targetMailbox": mailbox, "report": "uid"}, body=email)
    assert r.ok, r
    return int(r.data[0].get("UID"))


def open_view(client, folder, mailbox="INBOX"):
    r = client.request("folderOpen", {"folder": folder, "mailbox": mailbox},
                       body="<field>FLAGS</field><field>Subject</field>")
    assert r.ok, r


def sync(client, folder, table):
    """folderSync, applying each report to `table` [(UID, FLAGS, Subject)]; returns the reports."""
    r = client.request("folderSync", {"folder": folder})
    assert r.ok, r
    for report in r.data:
        assert report.tag == "folderReport" and report.get("folder") == folder, report.attrib
        mode, index, uid = report.get("mode"), int(report.get("index")), int(report.get("UID"))
        if mode == "removed":
            assert table[index][0] == uid, (report.attrib, table)
            del table[index]
        elif mode == "added":
            table.insert(index, (uid, report.findtext("FLAGS") or "", report.findtext("Subject")))
        else:
            assert mode == "updated" and table[index][0] == uid, (report.attrib, table)
            table[index] = (uid, report.findtext("FLAGS") or "", report.findtext("Subject"))
        assert int(report.get("messages")) == len(table), (report.attrib, table)
    return r.data


def expect_notify(client, folder):
    note = client.wait_async("folderReport", timeout=WAIT)
    assert note.get("mode") == "notify" and note.get("folder") == folder, note.attrib


def flag_words(items):
    return set(items["FLAGS"]) - {"\\Recent"}


# --- one change at a time --------------------------------------------------------------------------

def test_appends_through_one_node_wake_views_and_idle_on_the_other(nodes, imap_on):
    a, b = nodes
    view = b.login(USER, PASSWORD)
    open_view(view, "INBOX")
    table = []
    idle = imap_on(b)
    idle.select("INBOX")
    tag = idle.idle()

    # XIMSS messageAppend through A.
    ximss_a = a.login(USER, PASSWORD)
    uid1 = ximss_append(ximss_a, "INBOX", "first through A", "appended over XIMSS on node A")
    expect_notify(view, "INBOX")
    assert wait_line(idle, r"^\* \d+ EXISTS$") == "* 1 EXISTS"
    reports = sync(view, "INBOX", table)
    assert [(x.get("mode"), int(x.get("UID"))) for x in reports] == [("added", uid1)]
    assert table[0][2] == "first through A"

    # IMAP APPEND through A: notified again (once per folderSync), and the next EXISTS.
    imap_a = imap_on(a)
    uid2 = appended_uid(imap_a.append("INBOX", message(subject="second through A", body="over IMAP on A\r\n")))
    assert uid2 > uid1
    expect_notify(view, "INBOX")
    assert wait_line(idle, r"^\* \d+ EXISTS$") == "* 2 EXISTS"
    reports = sync(view, "INBOX", table)
    assert [(x.get("mode"), int(x.get("UID"))) for x in reports] == [("added", uid2)]
    assert sorted(row[2] for row in table) == ["first through A", "second through A"]

    # B serves both messages, bodies included (the shared body directory).
    assert idle.done(tag).ok
    f = idle.ok("FETCH 1:2 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])").fetches()
    assert [f[n]["UID"] for n in (1, 2)] == [uid1, uid2], f
    assert f[1]["BODY[HEADER.FIELDS (SUBJECT)]"] == "Subject: first through A\r\n\r\n"
    assert "appended over XIMSS on node A" in f[1]["BODY[TEXT]"]
    assert f[2]["BODY[TEXT]"] == "over IMAP on A\r\n"

    # And the other way: B's append reaches an IDLE session on A.
    imap_a.select("INBOX")
    tag = imap_a.idle()
    uid3 = appended_uid(idle.append("INBOX", message(subject="third through B")))
    assert wait_line(imap_a, r"^\* \d+ EXISTS$") == "* 3 EXISTS"
    assert imap_a.done(tag).ok
    assert imap_a.ok("FETCH 3 UID").fetches()[3]["UID"] == uid3


def test_delivery_flags_and_expunge_through_one_node_reach_the_other(nodes, imap_on):
    a, b = nodes
    view = b.login(USER, PASSWORD)
    open_view(view, "INBOX")
    table = []
    idle = imap_on(b)
    idle.select("INBOX")
    tag = idle.idle()

    # Delivered over LMTP to A.
    with smtplib.LMTP(a.host, a.lmtp_port) as s:
        assert s.sendmail(SENDER, [USER], message(subject="delivered to A")) == {}
    expect_notify(view, "INBOX")
    assert wait_line(idle, r"^\* \d+ EXISTS$") == "* 1 EXISTS"
    reports = sync(view, "INBOX", table)
    assert [x.get("mode") for x in reports] == ["added"] and table[0][2] == "delivered to A", table
    uid = table[0][0]

    # A flag set over IMAP on A: FETCH FLAGS in B's IDLE, "updated" in B's view.
    imap_a = imap_on(a)
    imap_a.select("INBOX")
    imap_a.ok(f"UID STORE {uid} +FLAGS (\\Flagged)")
    n, items = parse_fetch(wait_line(idle, r"^\* 1 FETCH "))
    assert flag_words(items) == {"\\Flagged"}, items
    expect_notify(view, "INBOX")
    reports = sync(view, "INBOX", table)
    assert [(x.get("mode"), int(x.get("UID"))) for x in reports] == [("updated", uid)]
    assert table[0][1] == "Flagged", table

    # Another set over XIMSS on A (messageMark in a view of A's own).
    ximss_a = a.login(USER, PASSWORD)
    open_view(ximss_a, "INBOX")
    assert ximss_a.request("messageMark", {"folder": "INBOX", "flags": "Seen"}, body=f"<UID>{uid}</UID>").ok
    n, items = parse_fetch(wait_line(idle, r"^\* 1 FETCH "))
    assert flag_words(items) == {"\\Flagged", "\\Seen"}, items
    expect_notify(view, "INBOX")
    sync(view, "INBOX", table)
    assert set(table[0][1].split(",")) == {"Seen", "Flagged"}, table

    # A flag cleared over IMAP on A.
    imap_a.ok(f"UID STORE {uid} -FLAGS (\\Flagged)")
    n, items = parse_fetch(wait_line(idle, r"^\* 1 FETCH "))
    assert flag_words(items) == {"\\Seen"}, items

    # Expunged through A: EXPUNGE in B's IDLE, "removed" in B's view.
    imap_a.ok(f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)")
    imap_a.ok(f"UID EXPUNGE {uid}")
    assert wait_line(idle, r"^\* \d+ EXPUNGE$") == "* 1 EXPUNGE"
    expect_notify(view, "INBOX")
    reports = sync(view, "INBOX", table)
    assert reports[-1].get("mode") == "removed" and int(reports[-1].get("UID")) == uid, reports
    assert table == []
    r = idle.done(tag)
    assert r.ok, r
    assert idle.ok("UID FETCH 1:* (FLAGS)").fetches() == {}
    assert select_info(idle.select("INBOX"))["EXISTS"] == 0


# --- many clients on both nodes ------------------------------------------------------------------

BOXES = ("INBOX", "Second")
FLAGS = ("\\Seen", "\\Flagged", "\\Answered", "$Kw1", "$Kw2")
XIMSS_NAMES = {"\\Seen": "Seen", "\\Flagged": "Flagged", "\\Answered": "Answered"}
CLIENTS = 8  # half on each node
STEPS = 50   # operations per client


def selected_state(reply):
    """EXISTS and UIDNEXT of a SELECT reply, and each HIGHESTMODSEQ in it: with others changing
    the mailbox, an update (a second EXISTS and HIGHESTMODSEQ) may follow the SELECT's data."""
    exists = [int(m.group(1)) for m in (re.match(r"^\* (\d+) EXISTS$", line) for line in reply.untagged) if m]
    codes = [re.match(r"^\* OK \[(UIDNEXT|HIGHESTMODSEQ) (\d+)\]", line) for line in reply.untagged]
    codes = [(m.group(1), int(m.group(2))) for m in codes if m]
    return {"EXISTS": exists[-1], "UIDNEXT": max(v for k, v in codes if k == "UIDNEXT"),
            "HIGHESTMODSEQ": [v for k, v in codes if k == "HIGHESTMODSEQ"]}


class Worker:
    """One IMAP client with its own RNG. It changes only the messages it owns (those it appended
    or copied), so the flags each message must have follow from its acknowledged operations."""

    def __init__(self, index, node, session, seed):
        self.index = index
        self.node = node
        self.c = session
        self.rng = random.Random(seed)
        self.owned = {}          # (mailbox, uid) -> set of flags: the model
        self.bodies = {}         # (mailbox, uid) -> bytes
        self.expunged = set()    # (mailbox, uid)
        self.uid_events = []     # (mailbox, uid, sent, acknowledged): appends and copies
        self.modseq_seen = {b: 0 for b in BOXES}  # the highest MODSEQ of a message seen
        # The last HIGHESTMODSEQ seen, by source: STATUS (the mailbox as stored) and the
        # selected mailbox's (SELECT, and the untagged OKs that follow changes).
        self.highest_seen = {source: {b: 0 for b in BOXES} for source in ("STATUS", "selected")}
        self.selected = None
        self.ops = {}
        self.error = None

    def command(self, *parts):
        r = self.c.command(*parts)
        assert r.status == "OK", (self.index, parts[0] if parts else None, r)
        self.absorb(r, " ".join(parts[0].split()[:2]) if parts else "?")
        return r

    def absorb(self, r, where):
        """The selected mailbox's MODSEQs and HIGHESTMODSEQs in a reply."""
        for line in r.untagged:
            if re.match(r"^\* \d+ FETCH ", line):
                n, items = parse_fetch(line)
                if "MODSEQ" in items:
                    self.modseq_seen[self.selected] = max(self.modseq_seen[self.selected], items["MODSEQ"][0])
            elif m := re.match(r"^\* OK \[HIGHESTMODSEQ (\d+)\]", line):
                self.note_highest("selected", self.selected, int(m.group(1)), where)

    def note_highest(self, source, mailbox, value, where):
        """HIGHESTMODSEQ only grows, and is never below a MODSEQ this client was told before.
        (A node's view of a mailbox may lag the database by a notification: STATUS, which reads
        the database, and the selected mailbox's are followed apart.)"""
        last = self.highest_seen[source][mailbox]
        assert value >= last, (self.index, where, mailbox, f"HIGHESTMODSEQ went down: {value} < {last}")
        self.highest_seen[source][mailbox] = value
        assert value >= self.modseq_seen[mailbox], \
            (self.index, where, mailbox, f"HIGHESTMODSEQ {value} below a MODSEQ seen: {self.modseq_seen[mailbox]}")

    def select(self, mailbox):
        r = self.c.command(f"SELECT {mailbox}")
        assert r.status == "OK", (self.index, r)
        self.selected = mailbox  # the reply is of the mailbox just selected
        self.absorb(r, "SELECT")
        info = selected_state(r)
        assert info["HIGHESTMODSEQ"], (self.index, "no HIGHESTMODSEQ", r)
        mine = [uid for (box, uid) in self.owned if box == mailbox]
        assert info["UIDNEXT"] > max(mine, default=0), (self.index, info)
        assert info["EXISTS"] >= len(mine), (self.index, info, len(mine))

    def mine_here(self):
        return sorted(uid for (box, uid) in self.owned if box == self.selected)

    def run(self):
        try:
            self.command("ENABLE CONDSTORE")
            self.select(self.rng.choice(BOXES))
            for step in range(STEPS):
                self.step(step)
        except BaseException as e:  # reported by the test with the worker's index
            self.error = e

    def step(self, step):
        rng = self.rng
        op = rng.choices(["append", "store", "expunge", "copy", "fetch", "status", "select"],
                         weights=[5, 6, 2, 2, 2, 2, 1])[0]
        mine = self.mine_here()
        if op in ("store", "expunge", "copy", "fetch") and not mine:
            op = "append"
        self.ops[op] = self.ops.get(op, 0) + 1
        if op == "append":
            box = rng.choice(BOXES)
            flags = set(rng.sample(FLAGS, rng.randint(0, 2)))
            body = message(subject=f"client {self.index} step {step}",
                           body=f"from client {self.index} on node {self.node}, step {step}\r\n"
                                + "x" * rng.randint(0, 3000) + "\r\n")
            sent = time.monotonic()
            r = self.c.append(box, body, flags=sorted(flags))
            acknowledged = time.monotonic()
            assert r.ok, (self.index, r)
            self.absorb(r, "APPEND")
            uid = appended_uid(r)
            self.uid_events.append((box, uid, sent, acknowledged))
            self.owned[(box, uid)] = flags
            self.bodies[(box, uid)] = body
        elif op == "store":
            uid = rng.choice(mine)
            flag = rng.choice(FLAGS)
            sign = rng.choice("+-")
            r = self.command(f"UID STORE {uid} {sign}FLAGS ({flag})")
            model = self.owned[(self.selected, uid)]
            if sign == "+":
                model.add(flag)
            else:
                model.discard(flag)
            echoed = [items for _, items in map(lambda l: parse_fetch("* " + l), r.data("FETCH"))
                      if items.get("UID") == uid]
            assert echoed, (self.index, f"no FETCH for UID {uid} after STORE", r)
            assert flag_words(echoed[-1]) == model, (self.index, uid, echoed[-1], model)
        elif op == "expunge":
            uid = rng.choice(mine)
            self.command(f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)")
            r = self.command(f"UID EXPUNGE {uid}")
            assert r.data("EXPUNGE"), (self.index, f"UID EXPUNGE {uid} expunged nothing", r)
            del self.owned[(self.selected, uid)]
            self.bodies.pop((self.selected, uid))
            self.expunged.add((self.selected, uid))
        elif op == "copy":
            uid = rng.choice(mine)
            target = BOXES[1 - BOXES.index(self.selected)]
            sent = time.monotonic()
            r = self.command(f"UID COPY {uid} {target}")
            acknowledged = time.monotonic()
            assert r.code and r.code.upper().startswith("COPYUID "), (self.index, r)
            _, _, source, copied = r.code.split()
            assert int(source) == uid, r
            new_uid = int(copied)
            self.uid_events.append((target, new_uid, sent, acknowledged))
            self.owned[(target, new_uid)] = set(self.owned[(self.selected, uid)])
            self.bodies[(target, new_uid)] = self.bodies[(self.selected, uid)]
        elif op == "fetch":
            r = self.command(f"UID FETCH {','.join(map(str, mine))} (FLAGS MODSEQ)")
            # (Unsolicited FETCHes of others' messages may come too: only mine are looked at.)
            got = {items["UID"]: items for _, items in map(lambda l: parse_fetch("* " + l), r.data("FETCH"))
                   if items.get("UID") in mine}
            assert sorted(got) == mine, (self.index, "UID FETCH of my messages", sorted(got), mine)
            for uid in mine:
                assert flag_words(got[uid]) == self.owned[(self.selected, uid)], \
                    (self.index, uid, got[uid], self.owned[(self.selected, uid)])
        elif op == "status":
            box = BOXES[1 - BOXES.index(self.selected)]
            r = self.command(f"STATUS {box} (MESSAGES UIDNEXT HIGHESTMODSEQ)")
            _, items = status_items("* " + r.data("STATUS")[0])
            self.note_highest("STATUS", box, items["HIGHESTMODSEQ"], "STATUS")
            mine_there = [uid for (b, uid) in self.owned if b == box]
            assert items["UIDNEXT"] > max(mine_there, default=0), (self.index, items)
        else:
            self.select(BOXES[1 - BOXES.index(self.selected)])


def mailbox_state(server, mailbox):
    """What a fresh IMAP session on `server` sees: (HIGHESTMODSEQ, UIDNEXT, {uid: (flags, modseq)})."""
    c = ImapRaw.connect(server.host, server.imap_port, timeout=WAIT)
    try:
        c.login(USER, PASSWORD)
        c.ok("ENABLE CONDSTORE")
        info = select_info(c.select(mailbox))
        r = c.ok("UID FETCH 1:* (FLAGS MODSEQ)") if info["EXISTS"] else None
        rows = {}
        for _, items in (map(lambda l: parse_fetch("* " + l), r.data("FETCH")) if r else []):
            rows[items["UID"]] = (frozenset(flag_words(items)), items["MODSEQ"][0])
        assert len(rows) == info["EXISTS"], (info, rows)
        bodies = {}
        if info["EXISTS"]:
            for _, items in map(lambda l: parse_fetch("* " + l), c.ok("UID FETCH 1:* (BODY.PEEK[])").data("FETCH")):
                bodies[items["UID"]] = hashlib.blake2b(items["BODY[]"].encode("latin-1")).hexdigest()
        return info["HIGHESTMODSEQ"], info["UIDNEXT"], rows, bodies
    finally:
        c.close()


def view_state(client, folder, table):
    """A Folder View open since the start, brought up to date: {uid: set of XIMSS flag names}."""
    sync(client, folder, table)
    return {uid: set(filter(None, flags.split(","))) & set(XIMSS_NAMES.values()) for uid, flags, _ in table}


def test_many_clients_on_two_nodes_agree(nodes, imap_on):
    a, b = nodes
    seed = int(os.environ.get("XIMSSD_NODES_SEED", "20240611"))
    setup = imap_on(a)
    setup.ok("CREATE Second")
    # Folder Views on both nodes, open all along, and sessions keeping each mailbox selected on
    # both nodes (so the shared versions there are followed, not loaded afresh at the end).
    views = {}
    for node in (a, b):
        x = node.login(USER, PASSWORD)
        for box in BOXES:
            open_view(x, box, box)
        views[node] = (x, {box: [] for box in BOXES})
        for box in BOXES:
            imap_on(node).select(box)

    workers = [Worker(i, "A" if i % 2 == 0 else "B", imap_on(a if i % 2 == 0 else b), seed + i)
               for i in range(CLIENTS)]
    threads = [threading.Thread(target=w.run) for w in workers]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), "a client did not finish in 300 s"
    for w in workers:
        if w.error is not None:
            raise AssertionError(f"client {w.index} (node {w.node}): {w.error!r}") from w.error

    # UIDs: unique per mailbox, never reused after an expunge, and increasing in the order they
    # were acknowledged (an operation sent after another's acknowledgement got a higher UID).
    events = [e for w in workers for e in w.uid_events]
    for box in BOXES:
        mine = sorted((e for e in events if e[0] == box), key=lambda e: e[3])
        uids = [e[1] for e in mine]
        assert len(uids) == len(set(uids)), f"{box}: a UID was given twice: {sorted(uids)}"
        for i, later in enumerate(mine):
            for earlier in mine[:i]:
                if earlier[3] < later[2]:
                    assert earlier[1] < later[1], f"{box}: UID {later[1]} was given after UID {earlier[1]}"
    model = {}
    bodies = {}
    expunged = set()
    for w in workers:
        model.update(w.owned)
        bodies.update(w.bodies)
        expunged |= w.expunged
    assert not (set(model) & expunged)

    # Both nodes, through fresh sessions: the same state, and the model's.
    states = {}
    for node in (a, b):
        for box in BOXES:
            states[(node, box)] = mailbox_state(node, box)
    for box in BOXES:
        highest_a, uid_next_a, rows_a, bodies_a = states[(a, box)]
        highest_b, uid_next_b, rows_b, bodies_b = states[(b, box)]
        differ = {uid: (rows_a.get(uid), rows_b.get(uid)) for uid in set(rows_a) | set(rows_b)
                  if rows_a.get(uid) != rows_b.get(uid)}
        assert (highest_a, uid_next_a) == (highest_b, uid_next_b) and not differ, \
            (f"{box}: the nodes disagree: HIGHESTMODSEQ {highest_a} / {highest_b}, UIDNEXT {uid_next_a} / "
             f"{uid_next_b}, messages (A, B): {differ}")
        assert bodies_a == bodies_b
        expected = {uid: frozenset(flags) for (bx, uid), flags in model.items() if bx == box}
        got = {uid: flags for uid, (flags, _) in rows_a.items()}
        wrong = {u: (got.get(u), expected.get(u)) for u in set(got) | set(expected) if got.get(u) != expected.get(u)}
        assert not wrong, f"{box}: not the model's messages and flags (stored, model): {wrong}"
        assert not {uid for (bx, uid) in expunged if bx == box} & set(rows_a), f"{box}: an expunged UID is back"
        assert uid_next_a > max((e[1] for e in events if e[0] == box), default=0)
        assert all(modseq <= highest_a for _, modseq in rows_a.values()), f"{box}: a MODSEQ above HIGHESTMODSEQ"
        for w in workers:  # nothing told during the run is above the final HIGHESTMODSEQ
            assert w.modseq_seen[box] <= highest_a, (w.index, box, w.modseq_seen[box], highest_a)
            assert max(w.highest_seen[source][box] for source in w.highest_seen) <= highest_a, (w.index, box)
        for uid in expected:
            assert bodies_a[uid] == hashlib.blake2b(bodies[(box, uid)]).hexdigest(), f"{box}: UID {uid} body differs"

        # The views open all along (kept current by the notifications alone) show it too.
        for node in (a, b):
            x, tables = views[node]
            deadline = time.monotonic() + WAIT
            while True:
                got = view_state(x, box, tables[box])
                want = {uid: {XIMSS_NAMES[f] for f in flags if f in XIMSS_NAMES} for uid, flags in expected.items()}
                if got == want or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert got == want, f"{box}: the view on node {'A' if node is a else 'B'} differs: {got} != {want}"

    total_ops = sum(sum(w.ops.values()) for w in workers)
    assert total_ops == CLIENTS * STEPS
    for op in ("append", "store", "expunge", "copy", "fetch", "status", "select"):
        assert sum(w.ops.get(op, 0) for w in workers) > 0, f"no {op} was run"
    print(f"{total_ops} operations by {CLIENTS} clients on two nodes in {elapsed:.1f} s; "
          f"{len(model)} messages at the end, {len(expunged)} expunged")
