"""Live updates between sessions (RFC 3501 5.2, 5.5 and 7.4.1; IDLE, RFC 2177): a session with a
mailbox selected learns of messages appended, flags changed and messages expunged by other
sessions (IMAP or XIMSS) after its next command, and during IDLE without any command; no EXPUNGE
is sent during FETCH, STORE or SEARCH."""

import re

import pytest

from imap_raw import imap, message, parse_fetch, parse_sequence_set, search_numbers, select_info  # noqa: F401

WAIT = 10  # generous: how long to wait for an update that must come


def fill(c, mailbox, count):
    uids = []
    for i in range(count):
        r = c.append(mailbox, message(subject=f"live {i}"))
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    return uids


def wait_for(c, pattern):
    """Reads (without sending anything) until a line matches; returns that line."""
    rx = re.compile(pattern)
    lines = c.read_until(lambda l: rx.search(l) is not None, timeout=WAIT)
    return lines[-1]


@pytest.fixture
def pair(imap):
    """An account with two sessions; A has INBOX selected."""
    acct = imap.account("live")
    a = imap.connect(acct)
    b = imap.connect(acct)
    return acct, a, b


def test_append_by_another_session_is_announced(pair):
    acct, a, b = pair
    a.select("INBOX")
    r = b.append("INBOX", message(subject="new one"))
    assert r.ok, r
    uid = int(r.code.split()[2])
    r = a.ok("NOOP")
    assert r.numbers("EXISTS") == [1] and r.numbers("RECENT") == [1], r
    # A selected the mailbox when it arrived: A is the session that sees it as \Recent.
    f = a.ok("FETCH 1 (FLAGS UID)").fetches()[1]
    assert "\\Recent" in f["FLAGS"] and f["UID"] == uid, f
    # Nothing more on the next NOOP.
    assert a.ok("NOOP").untagged == []
    # Another session selecting it now does not get \Recent.
    info = select_info(b.select("INBOX"))
    assert info["RECENT"] == 0 and info["EXISTS"] == 1, info


def test_several_appends_are_announced_with_the_final_count(pair):
    acct, a, b = pair
    fill(a, "INBOX", 1)
    a.select("INBOX")
    fill(b, "INBOX", 3)
    r = a.ok("NOOP")
    assert r.numbers("EXISTS")[-1] == 4, r
    assert a.ok("FETCH 4 UID").fetches()[4]["UID"] > 0


def test_flag_changes_by_another_session_arrive_as_fetch(pair):
    acct, a, b = pair
    uids = fill(a, "INBOX", 2)
    a.select("INBOX")
    b.select("INBOX")
    b.ok("STORE 2 +FLAGS (\\Flagged)")
    r = a.ok("NOOP")
    f = r.fetches()
    assert list(f) == [2] and "\\Flagged" in f[2]["FLAGS"], r
    assert f[2].get("UID") == uids[1], r  # interface.md: (UID u FLAGS (...))
    # .SILENT only silences the session that stored.
    b.ok("STORE 1 +FLAGS.SILENT (\\Seen $Label)")
    r = a.ok("NOOP")
    f = r.fetches()
    assert list(f) == [1] and {"\\Seen", "$Label"} <= set(f[1]["FLAGS"]), r
    b.ok("STORE 1 -FLAGS.SILENT (\\Seen)")
    f = a.ok("NOOP").fetches()
    assert "\\Seen" not in f[1]["FLAGS"] and "$Label" in f[1]["FLAGS"], f


def test_flag_changes_carry_modseq_once_condstore_is_enabled(pair):
    acct, a, b = pair
    uids = fill(a, "INBOX", 1)
    a.ok("ENABLE CONDSTORE")
    a.select("INBOX")
    b.select("INBOX")
    b.ok("STORE 1 +FLAGS (\\Answered)")
    f = a.ok("NOOP").fetches()
    assert f[1]["UID"] == uids[0] and "\\Answered" in f[1]["FLAGS"], f
    assert isinstance(f[1]["MODSEQ"], list) and f[1]["MODSEQ"][0] > 0, f


def test_expunge_by_another_session_is_announced(pair):
    acct, a, b = pair
    uids = fill(a, "INBOX", 3)
    a.select("INBOX")
    b.select("INBOX")
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    r = a.ok("NOOP")
    assert r.numbers("EXPUNGE") == [2], r
    f = a.ok("FETCH 1:* UID").fetches()
    assert [f[n]["UID"] for n in sorted(f)] == [uids[0], uids[2]], f


def test_no_expunge_during_fetch_store_or_search(pair):
    acct, a, b = pair
    uids = fill(a, "INBOX", 3)
    a.select("INBOX")
    b.select("INBOX")
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    fill(b, "INBOX", 1)
    # RFC 3501 7.4.1: EXPUNGE MUST NOT be sent while responding to FETCH, STORE or SEARCH.
    r = a.ok("FETCH 1 UID")
    assert not r.data("EXPUNGE"), r
    assert r.fetches()[1]["UID"] == uids[0]
    r = a.ok("STORE 3 +FLAGS (\\Seen)")
    assert not r.data("EXPUNGE"), r
    r = a.ok("SEARCH ALL")
    assert not r.data("EXPUNGE"), r
    r = a.ok("FETCH 3 UID")
    assert not r.data("EXPUNGE") and r.fetches()[3]["UID"] == uids[2], r  # numbering unchanged
    # The new message may be announced (EXISTS is allowed), with the count as the session sees it.
    r = a.ok("NOOP")
    assert r.numbers("EXPUNGE") == [2], r
    f = a.ok("FETCH 1:* UID").fetches()
    assert [f[n]["UID"] for n in sorted(f)][:2] == [uids[0], uids[2]] and len(f) == 3, f


def test_search_of_texts_skips_a_message_erased_before_its_texts_were_read(pair):
    acct, a, b = pair
    fill(a, "INBOX", 3)
    a.select("INBOX")
    b.select("INBOX")
    # Erased before session a ever searched the mailbox's texts: a still numbers it (no EXPUNGE
    # may come during SEARCH), but its body is gone.
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    r = a.ok('SEARCH SUBJECT "live"')
    print("DEBUG1", r)
    assert search_numbers(r) == [1, 3], r
    r = a.ok('SEARCH BODY "nothing like this"')
    assert search_numbers(r) == [], r
    print("DEBUG", r.lines if hasattr(r, "lines") else r)
    r = a.ok("NOOP")
    assert r.numbers("EXPUNGE") == [2], r


def test_examine_session_gets_updates_too(pair):
    acct, a, b = pair
    fill(a, "INBOX", 1)
    a.ok("EXAMINE INBOX")
    b.select("INBOX")
    b.ok("STORE 1 +FLAGS (\\Flagged)")
    fill(b, "INBOX", 1)
    r = a.ok("NOOP")
    assert r.numbers("EXISTS") == [2], r
    assert "\\Flagged" in r.fetches()[1]["FLAGS"], r


def test_other_mailboxes_do_not_disturb(pair):
    acct, a, b = pair
    a.ok("CREATE Other")
    a.select("INBOX")
    fill(b, "Other", 2)
    assert a.ok("NOOP").untagged == []


# --- IDLE ------------------------------------------------------------------------------------

def test_idle_receives_exists_fetch_and_expunge_without_a_command(pair):
    acct, a, b = pair
    uids = fill(a, "INBOX", 2)
    a.select("INBOX")
    b.select("INBOX")
    tag = a.idle()
    fill(b, "INBOX", 1)
    assert wait_for(a, r"^\* 3 EXISTS$")
    b.ok("STORE 1 +FLAGS (\\Flagged)")
    line = wait_for(a, r"^\* 1 FETCH ")
    n, items = parse_fetch(line)
    assert "\\Flagged" in items["FLAGS"], line
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    wait_for(a, r"^\* 2 FETCH ")
    b.ok("EXPUNGE")
    assert wait_for(a, r"^\* 2 EXPUNGE$")
    r = a.done(tag)
    assert r.ok, r
    f = a.ok("FETCH 1:* UID").fetches()
    assert len(f) == 2 and f[1]["UID"] == uids[0], f


def test_idle_gets_a_message_appended_over_ximss(imap):
    acct = imap.account("ximss")
    a = imap.connect(acct)
    a.select("INBOX")
    tag = a.idle()
    x = imap.server.login(acct.user, acct.password)
    email = '<EMail><Subject>via XIMSS</Subject><MIME type="text" subtype="plain">hello over XIMSS</MIME></EMail>'
    reply = x.request("messageAppend", {"targetMailbox": "INBOX"}, body=email)
    assert reply.ok, reply
    assert wait_for(a, r"^\* 1 EXISTS$")
    r = a.done(tag)
    assert r.ok, r
    f = a.ok("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])").fetches()[1]
    assert f["BODY[HEADER.FIELDS (SUBJECT)]"] == "Subject: via XIMSS\r\n\r\n"
    assert "hello over XIMSS" in f["BODY[TEXT]"]


def test_idle_in_the_authenticated_state_and_commands_after_it(imap):
    acct = imap.account()
    a = imap.connect(acct)
    tag = a.idle()
    r = a.done(tag)
    assert r.ok, r
    a.select("INBOX")
    tag = a.idle()
    r = a.done(tag)
    assert r.ok and r.untagged == [], r
    assert a.command("NOOP").ok


def test_idle_without_done_but_another_line_ends_it_with_bad(imap):
    acct = imap.account()
    a = imap.connect(acct)
    a.select("INBOX")
    tag = a.idle()
    a.send("X1 NOOP\r\n")
    # RFC 2177: the only valid continuation is DONE; anything else ends IDLE with a BAD (or is
    # treated as DONE by lenient servers: then X1 runs afterwards).
    line = a.read_response()
    assert re.match(rf"^{tag} (BAD|OK)\b", line), line
    if " OK" in line:
        assert re.match(r"^X1 (OK|BAD)\b", a.read_tagged("X1").tagged)
    assert a.command("NOOP").ok


# --- a model of the mailbox kept by the updates alone ----------------------------------------

class ViewModel:
    """What a client knows of its selected mailbox: [uid or None, flags or None] per message,
    kept up to date only by the untagged responses it is sent (RFC 3501 7.3.1, 7.4.1)."""

    def __init__(self, fetched):
        self.rows = [[fetched[n]["UID"], set(fetched[n]["FLAGS"]) - {"\\Recent"}] for n in sorted(fetched)]

    def apply(self, line):
        if line.upper().startswith("* VANISHED "):  # QRESYNC: UIDs instead of EXPUNGE
            rest = line.split(" ", 2)[2]
            assert not rest.upper().startswith("(EARLIER)"), line
            gone = set(parse_sequence_set(rest.strip()))
            known = {row[0] for row in self.rows}
            assert gone <= known, (line, self.rows)
            self.rows = [row for row in self.rows if row[0] not in gone]
            return
        m = re.match(r"^\* (\d+) (EXISTS|EXPUNGE|RECENT|FETCH)\b", line)
        if not m:
            return
        n, kind = int(m.group(1)), m.group(2)
        if kind == "EXISTS":
            assert n >= len(self.rows), f"EXISTS {n} shrinks a view of {len(self.rows)} ({line})"
            self.rows += [[None, None] for _ in range(n - len(self.rows))]
        elif kind == "EXPUNGE":
            assert 1 <= n <= len(self.rows), (line, len(self.rows))
            del self.rows[n - 1]
        elif kind == "FETCH":
            _, items = parse_fetch(line)
            assert 1 <= n <= len(self.rows), (line, len(self.rows))
            row = self.rows[n - 1]
            if "UID" in items:
                assert row[0] in (None, items["UID"]), f"message {n} was UID {row[0]}, now {line}"
                row[0] = items["UID"]
            if "FLAGS" in items:
                row[1] = set(items["FLAGS"]) - {"\\Recent"}

    def apply_all(self, lines):
        for line in lines:
            self.apply(line)

    def agrees_with(self, truth, complete=True):
        """truth: [(uid, flags)] in UID order. Unknown rows match anything unless complete."""
        if len(self.rows) != len(truth):
            return False
        for (uid, flags), (tuid, tflags) in zip(self.rows, truth):
            if uid is None or flags is None:
                if complete:
                    return False
                continue
            if uid != tuid or flags != tflags:
                return False
        return True


def truth_of(session):
    """The mailbox as a fresh EXAMINE sees it: [(uid, flags)] in UID order."""
    session.ok("EXAMINE INBOX")
    f = session.ok("UID FETCH 1:* (FLAGS)").fetches()
    return [(f[n]["UID"], set(f[n]["FLAGS"]) - {"\\Recent"}) for n in sorted(f)]


def random_step(rng, b, d, step):
    """One change by session b (INBOX selected) or d (Other selected)."""
    f = b.ok("UID FETCH 1:* UID").fetches()
    uids = sorted(x["UID"] for x in f.values())
    pick = lambda: ",".join(str(u) for u in rng.sample(uids, rng.randint(1, min(3, len(uids)))))  # noqa: E731
    kind = rng.choice(["append", "append", "flags", "flags", "flags", "expunge", "move", "copy"] if uids else ["append"])
    if kind == "append":
        for i in range(rng.randint(1, 3)):
            flags = rng.choice([None, ["\\Seen"], ["\\Flagged", "$K1"]])
            assert b.append("INBOX", message(subject=f"step {step}.{i}"), flags=flags).ok
    elif kind == "flags":
        flag = rng.choice(["\\Seen", "\\Flagged", "\\Answered", "$K1", "$K2"])
        op = rng.choice(["+FLAGS", "-FLAGS", "+FLAGS.SILENT", "FLAGS"])
        b.ok(f"UID STORE {pick()} {op} ({flag})")
    elif kind == "expunge":
        chosen = pick()
        b.ok(f"UID STORE {chosen} +FLAGS.SILENT (\\Deleted)")
        b.ok(f"UID EXPUNGE {chosen}")
    elif kind == "move":
        b.ok(f"UID MOVE {pick()} Other")
    else:
        d.ok("NOOP")
        other = d.ok("UID FETCH 1:* UID").fetches()
        if other:
            u = rng.choice([x["UID"] for x in other.values()])
            d.ok(f"UID COPY {u} INBOX")
        else:
            assert b.append("INBOX", message(subject=f"step {step}")).ok
    return kind


@pytest.mark.parametrize("seed,mode", [(1, "plain"), (2, "plain"), (3, "CONDSTORE"), (4, "QRESYNC"), (5, "QRESYNC")])
def test_sessions_stay_in_step_with_random_changes(imap, seed, mode):
    import random
    rng = random.Random(seed)
    acct = imap.account("model")
    b = imap.connect(acct)
    b.ok("CREATE Other")
    fill(b, "INBOX", 5)
    fill(b, "Other", 3)
    b.select("INBOX")
    d = imap.connect(acct)
    d.select("Other")
    judge = imap.connect(acct)
    # A polls with NOOP; C stays in IDLE and must be told everything without asking.
    a = imap.connect(acct)
    if mode != "plain":
        a.ok(f"ENABLE {mode}")
    a.select("INBOX")
    model_a = ViewModel(a.ok("FETCH 1:* (UID FLAGS)").fetches())
    c = imap.connect(acct)
    c.select("INBOX")
    model_c = ViewModel(c.ok("FETCH 1:* (UID FLAGS)").fetches())
    idle_tag = c.idle()
    for step in range(60):
        kind = random_step(rng, b, d, step)
        truth = truth_of(judge)
        # A: one NOOP brings every change; new messages' UIDs and flags are then fetched.
        r = a.ok("NOOP")
        if mode == "QRESYNC":
            assert not r.data("EXPUNGE"), r
        if mode != "plain":
            assert all("MODSEQ" in items for items in r.fetches().values()), r
        model_a.apply_all(r.untagged)
        unknown = [str(i + 1) for i, row in enumerate(model_a.rows) if row[0] is None or row[1] is None]
        if unknown:
            r = a.ok(f"FETCH {','.join(unknown)} (UID FLAGS)")
            model_a.apply_all(r.untagged)
        assert model_a.agrees_with(truth), (step, kind, model_a.rows, truth)
        # C: the same changes arrive by themselves (new messages need not carry their UIDs).
        lines = []
        while not model_c.agrees_with(truth, complete=False):
            line = c.read_response(timeout=10)
            lines.append(line)
            model_c.apply(line)
        assert model_c.agrees_with(truth, complete=False), (step, kind, lines, model_c.rows, truth)
    r = c.done(idle_tag)
    model_c.apply_all(r.untagged)
    model_c.apply_all(c.ok("NOOP").untagged)
    unknown = [str(i + 1) for i, row in enumerate(model_c.rows) if row[0] is None or row[1] is None]
    if unknown:
        model_c.apply_all(c.ok(f"FETCH {','.join(unknown)} (UID FLAGS)").untagged)
    assert model_c.agrees_with(truth_of(judge)), (model_c.rows,)


def test_concurrent_sessions_stay_consistent(imap):
    """Four sessions change INBOX at once; every response each one gets (to its own commands and
    unsolicited) keeps its view right: message numbers and UIDs agree in every FETCH, and at the
    end each view equals the mailbox."""
    import random
    import threading
    acct = imap.account("busy")
    seed = imap.connect(acct)
    fill(seed, "INBOX", 10)
    workers = []
    for _ in range(4):
        w = imap.connect(acct)
        if len(workers) % 2:
            w.ok("ENABLE CONDSTORE")
        w.select("INBOX")
        workers.append((w, ViewModel(w.ok("FETCH 1:* (UID FLAGS)").fetches())))
    errors = []

    def run(index, session, model):
        rng = random.Random(100 + index)
        try:
            for step in range(40):
                known = [row[0] for row in model.rows if row[0] is not None]
                op = rng.choice(["append", "store", "store", "expunge", "fetch", "noop"] if known else ["append"])
                if op == "append":
                    r = session.append("INBOX", message(subject=f"w{index} s{step}"), plus=True)
                elif op == "store":
                    flag = rng.choice(["\\Seen", "\\Flagged", "$W%d" % index])
                    r = session.command(f"UID STORE {rng.choice(known)} {rng.choice(['+FLAGS', '-FLAGS'])} ({flag})")
                elif op == "expunge":
                    u = rng.choice(known)
                    model.apply_all(session.command(f"UID STORE {u} +FLAGS.SILENT (\\Deleted)").untagged)
                    r = session.command(f"UID EXPUNGE {u}")
                elif op == "fetch":
                    r = session.command("FETCH 1:* (UID FLAGS)") if model.rows else session.command("NOOP")
                else:
                    r = session.command("NOOP")
                assert r.status in ("OK", "NO"), r
                model.apply_all(r.untagged)
        except Exception as e:  # reported below with the worker's index
            errors.append((index, repr(e)))

    threads = [threading.Thread(target=run, args=(i, w, m)) for i, (w, m) in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    judge = imap.connect(acct)
    truth = truth_of(judge)
    for i, (session, model) in enumerate(workers):
        model.apply_all(session.ok("NOOP").untagged)
        unknown = [str(n + 1) for n, row in enumerate(model.rows) if row[0] is None or row[1] is None]
        if unknown:
            model.apply_all(session.ok(f"FETCH {','.join(unknown)} (UID FLAGS)").untagged)
        assert model.agrees_with(truth), (i, model.rows, truth)
