"""IMAP selected state (RFC 3501 section 6.4) apart from FETCH and SEARCH: CHECK, CLOSE,
UNSELECT (RFC 3691), EXPUNGE, UID EXPUNGE (RFC 4315), STORE (FLAGS, +FLAGS, -FLAGS, .SILENT,
keywords), COPY with COPYUID, MOVE (RFC 6851), the UID forms, and messages kept byte for byte."""

import re

import pytest

from imap_raw import Literal, imap, imap_fresh, message, parse_sequence_set, select_info  # noqa: F401


def fill(c, mailbox, count, flags=None):
    """Appends `count` numbered messages; returns their UIDs."""
    uids = []
    for i in range(1, count + 1):
        r = c.append(mailbox, message(subject=f"message {i}", body=f"This is message {i}.\r\n"), flags=flags)
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    return uids


def uids_of(c):
    """The UIDs of the selected mailbox in sequence order."""
    f = c.ok("UID FETCH 1:* UID").fetches()
    return [f[n]["UID"] for n in sorted(f)]


def apply_expunges(seq_uids, reply):
    """Applies each `* n EXPUNGE` in order to a list of UIDs (position n-1 goes)."""
    out = list(seq_uids)
    for line in reply.untagged:
        m = re.match(r"^\* (\d+) EXPUNGE$", line)
        if m:
            n = int(m.group(1))
            assert 1 <= n <= len(out), (line, out)
            del out[n - 1]
    return out


def status_messages(c, mailbox):
    r = c.ok(f'STATUS "{mailbox}" (MESSAGES)')
    return int(re.search(r"MESSAGES (\d+)", r.data("STATUS")[0]).group(1))


# --- CHECK / CLOSE / UNSELECT ----------------------------------------------------------------

def test_check(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 1)
    c.select("INBOX")
    r = c.command("CHECK")
    assert r.ok, r


def test_close_expunges_silently_and_deselects(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 4)
    c.select("INBOX")
    c.ok("STORE 2:3 +FLAGS.SILENT (\\Deleted)")
    r = c.command("CLOSE")
    assert r.ok, r
    # RFC 3501 6.4.2: no untagged EXPUNGE responses are sent.
    assert not r.data("EXPUNGE"), r
    assert c.command("FETCH 1 UID").status in ("NO", "BAD")  # back in the authenticated state
    assert status_messages(c, "INBOX") == 2
    c.select("INBOX")
    assert uids_of(c) == [uids[0], uids[3]]


def test_close_of_a_read_only_mailbox_does_not_expunge(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 2)
    c.select("INBOX")
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    c.ok("EXAMINE INBOX")
    assert c.command("CLOSE").ok
    assert status_messages(c, "INBOX") == 2


def test_unselect_does_not_expunge(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 3)
    c.select("INBOX")
    c.ok("STORE 1:2 +FLAGS (\\Deleted)")
    r = c.command("UNSELECT")
    assert r.ok and not r.data("EXPUNGE"), r
    assert c.command("FETCH 1 UID").status in ("NO", "BAD")
    assert c.command("UNSELECT").status in ("NO", "BAD")  # nothing selected now
    assert status_messages(c, "INBOX") == 3


# --- EXPUNGE ---------------------------------------------------------------------------------

def test_expunge_sends_one_expunge_per_message_in_current_numbers(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 8)
    c.select("INBOX")
    c.ok("STORE 2,3,5,8 +FLAGS.SILENT (\\Deleted)")
    r = c.command("EXPUNGE")
    assert r.ok, r
    lines = r.data("EXPUNGE")
    assert len(lines) == 4, r
    # Each number refers to the numbering left by the ones before it (RFC 3501 7.4.1).
    assert apply_expunges(uids, r) == [uids[0], uids[3], uids[5], uids[6]], r
    assert uids_of(c) == [uids[0], uids[3], uids[5], uids[6]]
    # Nothing more to expunge.
    r = c.command("EXPUNGE")
    assert r.ok and not r.data("EXPUNGE"), r
    assert status_messages(c, "INBOX") == 4


def test_expunge_of_the_example_in_rfc3501(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 11)
    c.select("INBOX")
    c.ok("STORE 3,4,7,11 +FLAGS.SILENT (\\Deleted)")
    r = c.ok("EXPUNGE")
    # The example sends 3 3 5 8 (ascending); any order is valid if each refers to the current numbering.
    assert apply_expunges(uids, r) == [u for i, u in enumerate(uids, 1) if i not in (3, 4, 7, 11)], r
    assert len(r.data("EXPUNGE")) == 4


def test_uid_expunge_removes_only_the_given_uids(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 5)
    c.select("INBOX")
    c.ok("STORE 1,2,4 +FLAGS.SILENT (\\Deleted)")
    r = c.command(f"UID EXPUNGE {uids[1]}:{uids[3]}")
    assert r.ok, r
    # Messages 2 and 4 go; message 1 stays although it is \Deleted (RFC 4315 2.1).
    assert apply_expunges(uids, r) == [uids[0], uids[2], uids[4]], r
    assert uids_of(c) == [uids[0], uids[2], uids[4]]
    flags = c.ok("FETCH 1 FLAGS").fetches()[1]["FLAGS"]
    assert "\\Deleted" in flags
    assert c.command("UID EXPUNGE").status == "BAD"  # the set is required


def test_expunge_in_read_only_mode_fails(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 1)
    c.select("INBOX")
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    c.ok("EXAMINE INBOX")
    # Nothing may be removed: NO (RFC 3501 6.4.3, "permission denied"), or an OK that does nothing.
    for command in ("EXPUNGE", "UID EXPUNGE 1:*"):
        r = c.command(command)
        assert r.status == "NO" or (r.ok and not r.data("EXPUNGE")), r
    assert status_messages(c, "INBOX") == 1


def test_expunge_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    for i in range(3):
        c.append("INBOX", None, None, message(subject=str(i)))
    c.select("INBOX")
    c.store("1,3", "+FLAGS", r"(\Deleted)")
    typ, data = c.expunge()
    assert typ == "OK"
    assert [int(x) for x in data] in ([1, 2], [3, 1]), data


# --- STORE -----------------------------------------------------------------------------------

def flags_of(reply, n):
    f = reply.fetches()
    assert n in f and "FLAGS" in f[n], reply
    return set(f[n]["FLAGS"]) - {"\\Recent"}


def test_store_flags_replace_add_remove(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 3)
    c.select("INBOX")
    r = c.ok("STORE 1 +FLAGS (\\Flagged)")
    assert flags_of(r, 1) == {"\\Flagged"}, r
    r = c.ok("STORE 1 +FLAGS (\\Seen \\Answered)")
    assert flags_of(r, 1) == {"\\Flagged", "\\Seen", "\\Answered"}, r
    r = c.ok("STORE 1 -FLAGS (\\Flagged \\Draft)")
    assert flags_of(r, 1) == {"\\Seen", "\\Answered"}, r
    r = c.ok("STORE 1 FLAGS (\\Draft)")
    assert flags_of(r, 1) == {"\\Draft"}, r
    r = c.ok("STORE 1 FLAGS ()")
    assert flags_of(r, 1) == set(), r
    # A set of messages, a flag list without parentheses (one flag), lower case names.
    r = c.ok("STORE 1:3 +FLAGS \\deleted")
    assert set(r.fetches()) == {1, 2, 3} and all(flags_of(r, n) in ({"\\Deleted"}, {"\\deleted"}) for n in (1, 2, 3)), r
    r = c.ok("STORE 2:* -FLAGS (\\Deleted)")
    assert set(r.fetches()) == {2, 3}, r
    f = c.ok("FETCH 1:3 FLAGS")
    assert flags_of(f, 1) == {"\\Deleted"} and flags_of(f, 2) == set() == flags_of(f, 3), f


def test_recent_cannot_be_stored(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 2)
    c.select("INBOX")
    # RFC 3501 2.3.2: \Recent cannot be altered by the client; FLAGS replaces the other flags only.
    for command in ("STORE 1 -FLAGS (\\Recent)", "STORE 1 FLAGS (\\Seen)", "STORE 1 FLAGS ()"):
        r = c.command(command)
        assert r.status in ("OK", "NO", "BAD"), r
        assert "\\Recent" in c.ok("FETCH 1 FLAGS").fetches()[1]["FLAGS"], command
    other = imap.connect(acct)
    other.select("INBOX")
    r = other.command("STORE 2 +FLAGS (\\Recent)")
    assert r.status in ("OK", "NO", "BAD"), r
    assert "\\Recent" not in other.ok("FETCH 2 FLAGS").fetches()[2]["FLAGS"]
    assert c.ok("NOOP") and "\\Recent" in c.ok("FETCH 2 FLAGS").fetches()[2]["FLAGS"]


def test_store_silent_sends_no_fetch(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 2)
    c.select("INBOX")
    for item in ("+FLAGS.SILENT (\\Seen)", "-FLAGS.SILENT (\\Seen)", "FLAGS.SILENT (\\Answered)"):
        r = c.ok(f"STORE 1:2 {item}")
        assert not r.data("FETCH"), (item, r)
    f = c.ok("FETCH 1:2 FLAGS")
    assert flags_of(f, 1) == {"\\Answered"} == flags_of(f, 2), f


def test_store_keywords(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 2)
    info = select_info(c.select("INBOX"))
    assert "\\*" in info["PERMANENTFLAGS"], info
    r = c.ok("STORE 1 +FLAGS ($Work NonJunk)")
    assert flags_of(r, 1) == {"$Work", "NonJunk"}, r
    # A new keyword is announced with a new FLAGS list (RFC 3501 7.2.6), here or at the next SELECT.
    info = select_info(c.select("INBOX"))
    assert {"$Work", "NonJunk"} <= set(info["FLAGS"]), info
    r = c.ok("STORE 1:2 +FLAGS ($Label1)")
    assert flags_of(r, 2) == {"$Label1"}, r
    r = c.ok("STORE 1 -FLAGS ($Work)")
    assert flags_of(r, 1) == {"NonJunk", "$Label1"}, r
    # Keywords survive a new session.
    other = imap.connect(acct)
    other.select("INBOX")
    f = other.ok("FETCH 1:2 FLAGS")
    assert flags_of(f, 1) == {"NonJunk", "$Label1"} and flags_of(f, 2) == {"$Label1"}, f
    assert c.command("STORE 1 +FLAGS (bad(keyword)").status == "BAD"


def test_uid_store_reports_uids_and_ignores_missing_uids(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 3)
    c.select("INBOX")
    r = c.ok(f"UID STORE {uids[1]} +FLAGS (\\Flagged)")
    f = r.fetches()
    # RFC 3501 6.4.8: FETCH responses to UID commands carry the UID.
    assert list(f) == [2] and f[2]["UID"] == uids[1] and "\\Flagged" in f[2]["FLAGS"], r
    r = c.ok(f"UID STORE {uids[2] + 100} +FLAGS (\\Flagged)")  # no such UID: not an error
    assert not r.data("FETCH"), r
    r = c.ok(f"UID STORE {uids[0]}:* +FLAGS (\\Seen)")
    assert set(r.fetches()) == {1, 2, 3} and all("UID" in x for x in r.fetches().values()), r


def test_store_errors(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 2)
    c.select("INBOX")
    assert c.command("STORE 5 +FLAGS (\\Seen)").status in ("NO", "BAD")  # no message 5
    assert c.command("STORE 1 +FLAGS (\\Bogus)").status in ("NO", "BAD")
    assert c.command("STORE 1 REPLACE (\\Seen)").status == "BAD"
    assert c.command("STORE 0 +FLAGS (\\Seen)").status == "BAD"
    assert c.command("STORE 1").status == "BAD"
    f = c.ok("FETCH 1:2 FLAGS")
    assert flags_of(f, 1) == set() == flags_of(f, 2), f


def test_store_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    c.append("INBOX", None, None, message())
    c.select("INBOX")
    typ, data = c.store("1", "+FLAGS", r"(\Flagged $Important)")
    assert typ == "OK" and b"\\Flagged" in data[0] and b"$Important" in data[0], data


# --- COPY / MOVE -----------------------------------------------------------------------------

def copyuid(text):
    m = re.fullmatch(r"COPYUID (\d+) (\S+) (\S+)", text or "", re.I)
    assert m, text
    return int(m.group(1)), parse_sequence_set(m.group(2)), parse_sequence_set(m.group(3))


def test_copy_with_copyuid_keeps_flags_dates_and_bytes(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Target")
    uids = fill(c, "INBOX", 3)
    c.select("INBOX")
    c.ok("STORE 2 +FLAGS (\\Flagged $Work)")
    before = c.ok("FETCH 1:3 (FLAGS INTERNALDATE BODY.PEEK[])").fetches()
    r = c.command("COPY 2:3 Target")
    assert r.ok, r
    validity, source, dest = copyuid(r.code)
    assert source == uids[1:] and len(dest) == 2, r
    # The source is unchanged.
    assert uids_of(c) == uids
    target = imap.connect(acct)
    info = select_info(target.select("Target"))
    assert info["UIDVALIDITY"] == validity and info["EXISTS"] == 2, info
    assert info["RECENT"] == 2, info  # copies are \Recent in the target (RFC 3501 6.4.7)
    after = target.ok("FETCH 1:2 (UID FLAGS INTERNALDATE BODY.PEEK[])").fetches()
    assert [after[1]["UID"], after[2]["UID"]] == dest
    for n, src in ((1, 2), (2, 3)):
        assert set(after[n]["FLAGS"]) - {"\\Recent"} == set(before[src]["FLAGS"]) - {"\\Recent"}, (after, before)
        assert after[n]["INTERNALDATE"] == before[src]["INTERNALDATE"]
        assert after[n]["BODY[]"] == before[src]["BODY[]"]
    # UID COPY; a missing UID in the set is ignored.
    r = c.ok(f"UID COPY {uids[0]},{uids[2] + 50} Target")
    validity2, source, dest2 = copyuid(r.code)
    assert validity2 == validity and source == [uids[0]] and len(dest2) == 1 and dest2[0] > max(dest), r
    # Errors.
    r = c.command("COPY 1 NoSuchBox")
    assert r.status == "NO" and r.code == "TRYCREATE", r
    assert c.command("COPY 9 Target").status in ("NO", "BAD")
    assert status_messages(c, "Target") == 3


def test_copy_to_the_selected_mailbox(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 1)
    c.select("INBOX")
    r = c.ok("COPY 1 INBOX")
    _, _, dest = copyuid(r.code)
    exists = r.numbers("EXISTS") or c.ok("NOOP").numbers("EXISTS")
    assert exists == [2], r
    assert uids_of(c) == uids + dest


def test_move_sends_copyuid_then_expunge(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Archive")
    uids = fill(c, "INBOX", 4)
    c.select("INBOX")
    c.ok("STORE 2 +FLAGS (\\Seen)")
    r = c.command("MOVE 2:3 Archive")
    assert r.ok, r
    # RFC 6851 4.3: the COPYUID comes in an untagged OK before the EXPUNGE responses.
    oks = [i for i, l in enumerate(r.untagged) if re.match(r"^\* OK \[COPYUID ", l)]
    expunges = [i for i, l in enumerate(r.untagged) if re.match(r"^\* \d+ EXPUNGE$", l)]
    assert len(oks) == 1 and len(expunges) == 2 and oks[0] < min(expunges), r
    validity, source, dest = copyuid(re.match(r"^\* OK \[([^\]]*)\]", r.untagged[oks[0]]).group(1))
    assert source == uids[1:3], r
    assert apply_expunges(uids, r) == [uids[0], uids[3]], r
    assert uids_of(c) == [uids[0], uids[3]]
    other = imap.connect(acct)
    info = select_info(other.select("Archive"))
    assert info["UIDVALIDITY"] == validity and info["EXISTS"] == 2
    f = other.ok("FETCH 1:2 (UID FLAGS)").fetches()
    assert [f[1]["UID"], f[2]["UID"]] == dest and "\\Seen" in f[1]["FLAGS"], f


def test_uid_move_and_errors(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Dest")
    uids = fill(c, "INBOX", 3)
    c.select("INBOX")
    r = c.command(f"UID MOVE {uids[2]},{uids[0]} Dest")
    assert r.ok, r
    assert apply_expunges(uids, r) == [uids[1]], r
    assert status_messages(c, "Dest") == 2
    r = c.command("MOVE 1 NoSuchBox")
    assert r.status == "NO" and r.code == "TRYCREATE", r
    assert uids_of(c) == [uids[1]]


def test_copy_and_move_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    c.create("Other")
    for i in range(2):
        c.append("INBOX", None, None, message(subject=str(i)))
    c.select("INBOX")
    typ, data = c.copy("1", "Other")
    assert typ == "OK" and b"COPYUID" in data[0], data
    typ, data = c._simple_command("MOVE", "2", "Other")
    assert typ == "OK"
    assert c.status("Other", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")


# --- bytes -----------------------------------------------------------------------------------

BYTE_CASES = {
    "crlf": message(subject="crlf"),
    "bare LF": b"From: a@example.dom\nSubject: lf\n\nline one\nline two\n",
    "mixed": b"Subject: mixed\r\nX-Other: y\n\r\nbody\r\nmore\nend",
    "8-bit": "Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncafé ñ 日本\r\n".encode(),
    "no final newline": b"Subject: x\r\n\r\nno newline at the end",
    "no body": b"Subject: only a header\r\n",
    "trailing spaces": b"Subject: spaces   \r\n\r\n  text with trailing spaces   \r\n\t\r\n",
}


@pytest.mark.parametrize("name", list(BYTE_CASES))
def test_body_is_returned_byte_for_byte(imap, name):
    acct = imap.account()
    c = imap.connect(acct)
    data = BYTE_CASES[name]
    r = c.append("INBOX", data)
    assert r.ok, r
    c.select("INBOX")
    f = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])").fetches()[1]
    assert f["BODY[]"].encode("latin-1") == data
    assert f["RFC822.SIZE"] == len(data)
    assert c.ok("FETCH 1 RFC822").fetches()[1]["RFC822"].encode("latin-1") == data
    # With LITERAL+ and in another mailbox, the same.
    c.ok("CREATE Copy")
    assert c.append("Copy", data, plus=True).ok
    c.select("Copy")
    assert c.ok("FETCH 1 BODY.PEEK[]").fetches()[1]["BODY[]"].encode("latin-1") == data


def test_large_message_round_trip(imap):
    acct = imap.account()
    c = imap.connect(acct)
    body = b"".join(b"%06d " % i + bytes(range(33, 127)) + b"\r\n" for i in range(20000))  # ~2 MB
    data = b"Subject: large\r\nContent-Type: text/plain\r\n\r\n" + body
    assert c.append("INBOX", data).ok
    c.select("INBOX")
    f = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])").fetches()[1]
    assert f["RFC822.SIZE"] == len(data)
    assert f["BODY[]"].encode("latin-1") == data
    f = c.ok("FETCH 1 BODY.PEEK[]<1000000.1000>").fetches()[1]
    assert f["BODY[]<1000000>"].encode("latin-1") == data[1000000:1001000]


# --- restart and size ------------------------------------------------------------------------

def test_mailbox_state_survives_a_restart(imap_fresh):
    server = imap_fresh.server
    acct = imap_fresh.account()
    c = imap_fresh.connect(acct)
    c.ok("ENABLE QRESYNC")
    uids = fill(c, "INBOX", 5)
    info0 = select_info(c.select("INBOX"))
    c.ok("STORE 2 +FLAGS ($Kw \\Flagged)")
    c.ok("STORE 4 +FLAGS (\\Deleted)")
    c.ok("EXPUNGE")
    c.ok('CREATE "Sub/Deep"')
    c.ok('SUBSCRIBE "Sub/Deep"')
    info1 = select_info(c.select("INBOX"))
    before = c.ok("UID FETCH 1:* (FLAGS)").fetches()
    imap_fresh.close()
    assert server.stop() == []
    server.restart()
    c = imap_fresh.connect(acct)
    r = c.ok("STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)")
    assert f"UIDVALIDITY {info0['UIDVALIDITY']}" in r.data("STATUS")[0], r
    assert f"UIDNEXT {info1['UIDNEXT']}" in r.data("STATUS")[0], r
    assert "MESSAGES 4" in r.data("STATUS")[0], r
    highest = int(re.search(r"HIGHESTMODSEQ (\d+)", r.data("STATUS")[0]).group(1))
    assert highest >= info1["HIGHESTMODSEQ"], (r, info1)
    assert {"Sub", "Sub/Deep", "INBOX"} <= {l.rsplit(" ", 1)[1].strip('"') for l in c.ok('LIST "" "*"').data("LIST")}
    assert any(l.endswith("Sub/Deep") for l in c.ok('LSUB "" "*"').data("LSUB"))
    c.ok("ENABLE QRESYNC")
    r = c.ok(f"SELECT INBOX (QRESYNC ({info0['UIDVALIDITY']} {info0['HIGHESTMODSEQ']}))")
    # Expunges before the restart are still known (VANISHED (EARLIER)), and so is the flag change.
    vanished = [l for l in r.data("VANISHED") if l.upper().startswith("VANISHED (EARLIER) ")]
    assert vanished and uids[3] in parse_sequence_set(vanished[0].split()[2]), r
    assert {x["UID"] for x in r.fetches().values()} == {uids[1]}, r
    after = c.ok("UID FETCH 1:* (FLAGS)").fetches()
    strip = lambda f: {n: (x["UID"], set(x["FLAGS"]) - {"\\Recent"}) for n, x in f.items()}  # noqa: E731
    assert strip(after) == strip(before)
    # UIDs are not used again.
    r = c.append("INBOX", message())
    assert int(r.code.split()[2]) == info1["UIDNEXT"], r


def test_a_mailbox_of_two_thousand_messages(imap):
    acct = imap.account()
    c = imap.connect(acct)
    count = 2000
    data = b""
    tags = []
    for i in range(count):
        m = message(subject=f"bulk {i}", body=f"bulk body {i}\r\n")
        tag = c.next_tag()
        tags.append(tag)
        data += f"{tag} APPEND INBOX {{{len(m)}+}}\r\n".encode() + m + b"\r\n"
    c.send(data)
    uids = []
    for tag in tags:
        r = c.read_tagged(tag, timeout=60)
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    info = select_info(c.select("INBOX"))
    assert info["EXISTS"] == count and info["UIDNEXT"] == uids[-1] + 1, info
    r = c.ok("UID SEARCH RETURN (ALL COUNT) ALL")
    [line] = r.data("ESEARCH")
    assert f"COUNT {count}" in line and parse_sequence_set(line.split(" ALL ")[1].split()[0]) == uids, line
    # Every third message goes.
    doomed = ",".join(str(n) for n in range(3, count + 1, 3))
    c.ok(f"STORE {doomed} +FLAGS.SILENT (\\Deleted)")
    r = c.ok("EXPUNGE", timeout=60)
    kept = [u for i, u in enumerate(uids, 1) if i % 3]
    assert len(r.data("EXPUNGE")) == count // 3 and apply_expunges(uids, r) == kept
    f = c.ok("FETCH 1:* (UID)").fetches()
    assert [f[n]["UID"] for n in sorted(f)] == kept
    # REVERSE ARRIVAL: later internal dates first; equal dates (same second) in sequence order.
    import datetime
    dates = c.ok("FETCH 1:* INTERNALDATE").fetches()
    when = {n: datetime.datetime.strptime(x["INTERNALDATE"].strip(), "%d-%b-%Y %H:%M:%S %z") for n, x in dates.items()}
    expected = sorted(when, key=lambda n: (-when[n].timestamp(), n))
    r = c.ok("SORT (REVERSE ARRIVAL) UTF-8 ALL")
    assert [int(w) for w in r.data("SORT")[0].split()[1:]] == expected
    r = c.ok("SEARCH SUBJECT \"bulk 1999\"")
    assert r.data("SEARCH") == ["SEARCH " + str(kept.index(uids[1999]) + 1)], r
