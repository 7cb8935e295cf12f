"""Live updates between sessions (RFC 3501 5.2, 5.5 and 7.4.1; IDLE, RFC 2177): a session with a
mailbox selected learns of messages appended, flags changed and messages expunged by other
sessions (IMAP or XIMSS) after its next command, and during IDLE without any command; no EXPUNGE
is sent during FETCH, STORE or SEARCH."""

import re

import pytest

from imap_raw import imap, message, parse_fetch, select_info  # noqa: F401

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
