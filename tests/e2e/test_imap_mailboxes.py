"""IMAP authenticated state (RFC 3501 section 6.3): SELECT / EXAMINE, CREATE, DELETE, RENAME,
SUBSCRIBE / UNSUBSCRIBE / LSUB, LIST (patterns, references, CHILDREN RFC 3348, SPECIAL-USE
RFC 6154, modified UTF-7 names), STATUS, APPEND (flags, date-time, literals, LITERAL+ RFC 7888,
APPENDUID RFC 4315), NAMESPACE (RFC 2342) and ENABLE (RFC 5161)."""

import datetime
import imaplib
import re

import pytest

from imap_raw import (Literal, imap, list_entries, message, parse, parse_fetch, quote,  # noqa: F401
                      select_info, status_items)

SYSTEM_FLAGS = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"}
SPECIAL_USE = {"\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash"}


def lower(attrs):
    return {a.lower() for a in attrs}


def append(c, mailbox, msg=None, flags=None, date=None, plus=False):
    """APPEND that must succeed; returns (uidvalidity, uid) from APPENDUID."""
    r = c.append(mailbox, msg if msg is not None else message(), flags=flags, date=date, plus=plus)
    assert r.ok, r
    m = re.fullmatch(r"APPENDUID (\d+) (\d+)", r.code or "", re.I)
    assert m, f"no APPENDUID in {r}"
    return int(m.group(1)), int(m.group(2))


def listed(c, reference, pattern):
    r = c.command(f"LIST {quote(reference)} {quote(pattern)}")
    assert r.ok, r
    return list_entries(r)


def status(c, mailbox, items="MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ"):
    r = c.command(f"STATUS {quote(mailbox)} ({items})")
    assert r.ok, r
    lines = r.data("STATUS")
    assert len(lines) == 1, r
    name, values = status_items("* " + lines[0])
    assert name == mailbox or name.upper() == mailbox.upper() == "INBOX", (name, mailbox)
    return values


def internal_date(text):
    """An IMAP date-time as an aware datetime."""
    return datetime.datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z")


# --- SELECT / EXAMINE ------------------------------------------------------------------------

def test_select_reports_flags_counts_uids_and_modseq(imap):
    acct = imap.account()
    c = imap.connect(acct)
    v1, u1 = append(c, "INBOX", flags=["\\Seen"])
    v2, u2 = append(c, "INBOX")
    v3, u3 = append(c, "INBOX", flags=["\\Seen", "$Work"])
    assert v1 == v2 == v3 and u1 < u2 < u3
    r = c.command("SELECT INBOX")
    assert r.ok, r
    info = select_info(r)
    assert SYSTEM_FLAGS <= set(info["FLAGS"]), info
    assert "$Work" in info["FLAGS"], info  # keywords in use are defined flags
    assert SYSTEM_FLAGS | {"\\*"} <= set(info["PERMANENTFLAGS"]), info
    assert "\\Recent" not in info["PERMANENTFLAGS"], info
    assert info["EXISTS"] == 3 and info["RECENT"] == 3, info
    assert info["UIDVALIDITY"] == v1, info
    assert info["UIDNEXT"] == u3 + 1, info
    assert info["UNSEEN"] == 2, info  # the sequence number of the first unseen message
    assert info["HIGHESTMODSEQ"] > 0, info  # RFC 7162 3.1.2.1: with every SELECT/EXAMINE
    assert info["ACCESS"] == "READ-WRITE", r
    # The tagged OK comes after all of it; nothing else is unexpected.
    for line in r.untagged:
        assert re.match(r"^\* (FLAGS|OK|\d+ EXISTS|\d+ RECENT)\b", line), line


def test_select_empty_mailbox_and_inbox_case(imap):
    acct = imap.account()
    c = imap.connect(acct)
    for name in ("inbox", "InBoX", "INBOX"):
        info = select_info(c.select(name))
        assert info["EXISTS"] == 0 and info["RECENT"] == 0 and "UNSEEN" not in info, info
        assert info["UIDNEXT"] >= 1 and info["UIDVALIDITY"] > 0, info


def test_examine_is_read_only_and_keeps_recent(imap):
    acct = imap.account()
    c = imap.connect(acct)
    append(c, "INBOX")
    append(c, "INBOX")
    r = c.command("EXAMINE INBOX")
    assert r.ok, r
    info = select_info(r)
    assert info["ACCESS"] == "READ-ONLY", r
    assert info["EXISTS"] == 2 and info["RECENT"] == 2, info
    assert info["HIGHESTMODSEQ"] > 0, info
    # Nothing may change the mailbox: STORE and EXPUNGE fail, BODY[] does not set \Seen.
    assert c.command("STORE 1 +FLAGS (\\Flagged)").status == "NO"
    assert c.command("EXPUNGE").status == "NO"
    r = c.ok("FETCH 1 BODY[]")
    r = c.ok("FETCH 1:2 FLAGS")
    for n, items in r.fetches().items():
        assert "\\Seen" not in items["FLAGS"] and "\\Flagged" not in items["FLAGS"], r
    # EXAMINE MUST NOT take \Recent away: the next SELECT still sees both.
    other = imap.connect(acct)
    info = select_info(other.select("INBOX"))
    assert info["RECENT"] == 2 and info["UNSEEN"] == 1, info


def test_recent_is_seen_by_the_first_selecting_session_only(imap):
    acct = imap.account()
    a = imap.connect(acct)
    append(a, "INBOX")
    append(a, "INBOX")
    info = select_info(a.select("INBOX"))
    assert info["RECENT"] == 2, info
    flags = a.ok("FETCH 1:* FLAGS").fetches()
    assert all("\\Recent" in f["FLAGS"] for f in flags.values()), flags
    b = imap.connect(acct)
    info = select_info(b.select("INBOX"))
    assert info["RECENT"] == 0 and info["EXISTS"] == 2, info
    flags = b.ok("FETCH 1:* FLAGS").fetches()
    assert not any("\\Recent" in f["FLAGS"] for f in flags.values()), flags
    assert status(b, "INBOX", "RECENT") == {"RECENT": 0}


def test_failed_select_leaves_the_selected_state(imap):
    acct = imap.account()
    c = imap.connect(acct)
    append(c, "INBOX")
    c.select("INBOX")
    assert c.ok("FETCH 1 UID").fetches()
    r = c.command("SELECT NoSuchBox")
    assert r.status == "NO", r
    # RFC 3501 6.3.1: a failed SELECT returns to the authenticated state.
    assert c.command("FETCH 1 UID").status in ("NO", "BAD")
    c.select("INBOX")
    assert c.command("EXAMINE NoSuchBox").status == "NO"
    assert c.command("FETCH 1 UID").status in ("NO", "BAD")


def test_selecting_another_mailbox_sends_closed_first(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Other")
    c.select("INBOX")
    r = c.select("Other")
    # RFC 7162 3.2.11: a server advertising QRESYNC sends [CLOSED] before the new mailbox's data.
    assert r.untagged and re.match(r"^\* OK \[CLOSED\]", r.untagged[0]), r
    assert sum(1 for l in r.untagged if "[CLOSED]" in l) == 1, r
    r = c.command("EXAMINE INBOX")
    assert r.ok and re.match(r"^\* OK \[CLOSED\]", r.untagged[0]), r
    # Not when nothing was selected.
    c.ok("UNSELECT")
    r = c.select("INBOX")
    assert not any("[CLOSED]" in l for l in r.untagged), r


def test_select_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    c.append("INBOX", None, None, message())
    typ, data = c.select("INBOX")
    assert (typ, data) == ("OK", [b"1"])
    assert c.response("UIDVALIDITY")[1][0].isdigit()
    typ, data = c.select("INBOX", readonly=True)
    assert typ == "OK" and data == [b"1"]
    assert c.response("READ-ONLY")[1] == [b""]


# --- CREATE / DELETE / RENAME ----------------------------------------------------------------

def test_create_with_hierarchy_and_existing_names(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.command('CREATE "a/b/c"').ok
    boxes = listed(c, "", "*")
    assert set(boxes) == {"INBOX", "a", "a/b", "a/b/c"}, boxes
    assert all(delim == "/" for _, delim in boxes.values()), boxes
    assert "\\haschildren" in lower(boxes["a"][0]) and "\\haschildren" in lower(boxes["a/b"][0]), boxes
    assert "\\hasnochildren" in lower(boxes["a/b/c"][0]), boxes
    assert "\\hasnochildren" in lower(boxes["INBOX"][0]), boxes
    # The new mailbox is usable.
    info = select_info(c.select("a/b/c"))
    assert info["EXISTS"] == 0 and info["ACCESS"] == "READ-WRITE", info
    c.ok("UNSELECT")
    # Existing names.
    for name in ("a/b/c", "INBOX", "inbox", "Inbox"):
        r = c.command(f"CREATE {quote(name)}")
        assert r.status == "NO", (name, r)
    # A parent created on the way can itself be created as a mailbox only if it is not one yet.
    r = c.command("CREATE a")
    if r.ok:
        assert "\\noselect" not in lower(listed(c, "", "a")["a"][0])
    assert c.command("CREATE a/b/c").status == "NO"
    # A trailing delimiter declares a name for sub-mailboxes.
    assert c.command('CREATE "Projects/"').ok
    assert "Projects" in listed(c, "", "Projects"), listed(c, "", "*")
    assert c.command('CREATE "Projects/One"').ok
    assert "\\haschildren" in lower(listed(c, "", "Projects")["Projects"][0])


def test_create_bad_names(imap):
    acct = imap.account()
    c = imap.connect(acct)
    for name in ("", "a//b", "/lead"):
        r = c.command(f"CREATE {quote(name)}")
        assert r.status in ("NO", "BAD"), (name, r)
    assert set(listed(c, "", "*")) == {"INBOX"}


def test_delete(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Box")
    append(c, "Box")
    assert c.command("DELETE Box").ok
    assert "Box" not in listed(c, "", "*")
    assert c.command("STATUS Box (MESSAGES)").status == "NO"
    assert c.command("SELECT Box").status == "NO"
    assert c.command("DELETE Box").status == "NO"  # no longer exists
    # RFC 3501 6.3.4: it is an error to delete INBOX.
    assert c.command("DELETE INBOX").status == "NO"
    assert c.command("DELETE inbox").status == "NO"
    assert "INBOX" in listed(c, "", "*")
    # A name created again starts over: no old messages.
    c.ok("CREATE Box")
    assert status(c, "Box", "MESSAGES") == {"MESSAGES": 0}


def test_delete_mailbox_with_children_keeps_them(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE p")
    c.ok("CREATE p/q")
    append(c, "p")
    append(c, "p/q")
    # RFC 3501 6.3.4: the messages go, the name stays as \Noselect because of its inferiors.
    assert c.command("DELETE p").ok
    boxes = listed(c, "", "*")
    assert "p" in boxes and "p/q" in boxes, boxes
    assert {"\\noselect", "\\haschildren"} <= lower(boxes["p"][0]), boxes
    assert c.command("SELECT p").status == "NO"
    assert status(c, "p/q", "MESSAGES") == {"MESSAGES": 1}
    # Deleting a \Noselect name that has inferiors is an error.
    assert c.command("DELETE p").status == "NO"
    assert c.command("DELETE p/q").ok
    assert "p/q" not in listed(c, "", "*")


def test_rename(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Old")
    append(c, "Old", flags=["\\Seen"])
    append(c, "Old")
    assert c.command("RENAME Old New").ok
    boxes = listed(c, "", "*")
    assert "Old" not in boxes and "New" in boxes, boxes
    assert status(c, "New", "MESSAGES UNSEEN") == {"MESSAGES": 2, "UNSEEN": 1}
    assert c.command("RENAME Old Other").status == "NO"     # no such mailbox
    assert c.command("RENAME New INBOX").status == "NO"     # the target exists
    c.ok("CREATE Taken")
    assert c.command("RENAME New Taken").status == "NO"
    assert status(c, "New", "MESSAGES") == {"MESSAGES": 2}
    # Into a new hierarchy: the superior names appear.
    assert c.command('RENAME New "deep/er/New"').ok
    boxes = listed(c, "", "*")
    assert {"deep", "deep/er", "deep/er/New"} <= set(boxes) and "New" not in boxes, boxes
    assert status(c, "deep/er/New", "MESSAGES") == {"MESSAGES": 2}


def test_rename_moves_inferior_names_too(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok('CREATE "r/s/t"')
    c.ok("CREATE r/u")
    append(c, "r/s/t")
    assert c.command("RENAME r z").ok
    boxes = set(listed(c, "", "*"))
    # RFC 3501 6.3.5: the inferior hierarchical names MUST also be renamed.
    assert {"z", "z/s", "z/s/t", "z/u"} <= boxes, boxes
    assert not {n for n in boxes if n == "r" or n.startswith("r/")}, boxes
    assert status(c, "z/s/t", "MESSAGES") == {"MESSAGES": 1}


def test_rename_inbox_moves_its_messages_and_inbox_stays(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE INBOX/Sub")
    append(c, "INBOX", message(subject="one"), flags=["\\Seen", "\\Flagged"])
    append(c, "INBOX", message(subject="two"))
    append(c, "INBOX/Sub")
    assert c.command("RENAME INBOX Saved").ok
    boxes = listed(c, "", "*")
    assert "INBOX" in boxes and "Saved" in boxes, boxes
    assert status(c, "INBOX", "MESSAGES") == {"MESSAGES": 0}
    assert status(c, "Saved", "MESSAGES UNSEEN") == {"MESSAGES": 2, "UNSEEN": 1}
    # Inferior names of INBOX are not affected.
    assert "INBOX/Sub" in boxes and status(c, "INBOX/Sub", "MESSAGES") == {"MESSAGES": 1}
    c.select("Saved")
    fetched = c.ok("FETCH 1:2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])").fetches()
    assert {"\\Seen", "\\Flagged"} <= set(fetched[1]["FLAGS"]), fetched
    assert "one" in fetched[1]["BODY[HEADER.FIELDS (SUBJECT)]"] and "two" in fetched[2]["BODY[HEADER.FIELDS (SUBJECT)]"]
    # INBOX still works as a mailbox.
    info = select_info(c.select("INBOX"))
    assert info["EXISTS"] == 0, info
    append(c, "INBOX")
    assert status(c, "INBOX", "MESSAGES") == {"MESSAGES": 1}


# --- SUBSCRIBE / UNSUBSCRIBE / LSUB ----------------------------------------------------------

def test_subscribe_unsubscribe_lsub(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Box")
    c.ok("CREATE p/q")
    assert list_entries(c.ok('LSUB "" "*"'), "LSUB") == {}
    c.ok("SUBSCRIBE Box")
    c.ok("SUBSCRIBE p/q")
    c.ok("SUBSCRIBE inbox")
    subs = list_entries(c.ok('LSUB "" "*"'), "LSUB")
    assert set(subs) == {"Box", "p/q", "INBOX"}, subs
    assert all(delim == "/" for _, delim in subs.values())
    # "%" stops at the delimiter; "p" is not subscribed, so it comes as \Noselect (RFC 3501 6.3.9).
    top = list_entries(c.ok('LSUB "" "%"'), "LSUB")
    assert set(top) == {"Box", "INBOX", "p"}, top
    assert "\\noselect" in lower(top["p"][0]), top
    c.ok("UNSUBSCRIBE Box")
    assert set(list_entries(c.ok('LSUB "" "*"'), "LSUB")) == {"p/q", "INBOX"}
    # The server MUST NOT drop a subscription because the mailbox went away.
    c.ok("DELETE p/q")
    assert "p/q" in list_entries(c.ok('LSUB "" "*"'), "LSUB")
    # Subscriptions are per account: another session sees them.
    other = imap.connect(acct)
    assert set(list_entries(other.ok('LSUB "" "*"'), "LSUB")) == {"p/q", "INBOX"}


def test_lsub_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    assert c.create("Work")[0] == "OK"
    assert c.subscribe("Work")[0] == "OK"
    typ, data = c.lsub()
    assert typ == "OK" and len(data) == 1 and data[0].endswith(b" Work"), data
    assert c.unsubscribe("Work")[0] == "OK"
    assert c.lsub() == ("OK", [None])


# --- LIST ------------------------------------------------------------------------------------

def make_tree(c):
    for name in ("Work", "Work/Projects", "Work/Projects/X", "Work/Old", "Play"):
        c.ok(f"CREATE {quote(name)}")


def test_list_patterns_and_reference(imap):
    acct = imap.account()
    c = imap.connect(acct)
    make_tree(c)
    everything = {"INBOX", "Work", "Work/Projects", "Work/Projects/X", "Work/Old", "Play"}
    assert set(listed(c, "", "*")) == everything
    assert set(listed(c, "", "%")) == {"INBOX", "Work", "Play"}
    assert set(listed(c, "", "Work/%")) == {"Work/Projects", "Work/Old"}
    assert set(listed(c, "", "Work/*")) == {"Work/Projects", "Work/Projects/X", "Work/Old"}
    assert set(listed(c, "", "W*")) == {"Work", "Work/Projects", "Work/Projects/X", "Work/Old"}
    assert set(listed(c, "", "*Proj*")) == {"Work/Projects", "Work/Projects/X"}
    assert set(listed(c, "", "%/%")) == {"Work/Projects", "Work/Old"}
    assert set(listed(c, "", "Play")) == {"Play"}
    assert set(listed(c, "", "play")) == set()     # only INBOX is case-insensitive
    assert set(listed(c, "", "inbox")) == {"INBOX"}
    assert set(listed(c, "", "Nothing*")) == set()
    # The reference is prepended to the pattern; the names come back whole.
    assert set(listed(c, "Work/", "%")) == {"Work/Projects", "Work/Old"}
    assert set(listed(c, "Work/", "*")) == {"Work/Projects", "Work/Projects/X", "Work/Old"}
    assert set(listed(c, "Work/Projects/", "%")) == {"Work/Projects/X"}


def test_list_empty_pattern_gives_the_delimiter(imap):
    acct = imap.account()
    c = imap.connect(acct)
    r = c.ok('LIST "" ""')
    assert len(r.untagged) == 1, r
    values = parse(r.untagged[0])
    # RFC 3501 6.3.8: * LIST (\Noselect) "/" ""
    assert values[:2] == ["*", "LIST"] and lower(values[2]) == {"\\noselect"}, r
    assert values[3] == "/" and values[4] == "", r


def test_list_children_attributes(imap):
    acct = imap.account()
    c = imap.connect(acct)
    make_tree(c)
    boxes = listed(c, "", "*")
    for name in ("Work", "Work/Projects"):
        assert "\\haschildren" in lower(boxes[name][0]) and "\\hasnochildren" not in lower(boxes[name][0]), boxes
    for name in ("INBOX", "Work/Projects/X", "Work/Old", "Play"):
        assert "\\hasnochildren" in lower(boxes[name][0]) and "\\haschildren" not in lower(boxes[name][0]), boxes
    # The attributes follow the hierarchy as it changes; % lists still tell about children.
    c.ok("CREATE Play/Sub")
    assert "\\haschildren" in lower(listed(c, "", "%")["Play"][0])
    c.ok("DELETE Play/Sub")
    assert "\\hasnochildren" in lower(listed(c, "", "%")["Play"][0])
    c.ok("DELETE Work/Projects/X")
    assert "\\hasnochildren" in lower(listed(c, "", "Work/Projects")["Work/Projects"][0])


def test_list_special_use_attributes(imap):
    acct = imap.account()
    c = imap.connect(acct)
    expected = {"Sent": "\\sent", "Trash": "\\trash", "Drafts": "\\drafts", "Junk": "\\junk", "Archive": "\\archive"}
    for name in expected:
        c.ok(f"CREATE {name}")
    c.ok("CREATE Work/Sent")
    c.ok("CREATE Notes")
    boxes = listed(c, "", "*")
    for name, attr in expected.items():
        assert lower(boxes[name][0]) & SPECIAL_USE == {attr}, (name, boxes[name])
    for name in ("INBOX", "Work/Sent", "Notes", "Work"):
        assert not lower(boxes[name][0]) & SPECIAL_USE, (name, boxes[name])
    # Names match case-insensitively at the top level.
    other = imap.account()
    c2 = imap.connect(other)
    c2.ok("CREATE sent")
    c2.ok("CREATE TRASH")
    boxes = listed(c2, "", "*")
    assert lower(boxes["sent"][0]) & SPECIAL_USE == {"\\sent"}, boxes
    assert lower(boxes["TRASH"][0]) & SPECIAL_USE == {"\\trash"}, boxes


def test_list_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    assert c.create("Work/Sub")[0] == "OK"
    typ, data = c.list()
    assert typ == "OK"
    names = sorted(d.decode().rsplit(" ", 1)[1].strip('"') for d in data)
    assert names == ["INBOX", "Work", "Work/Sub"], data
    typ, data = c.list('""', "Work/%")
    assert typ == "OK" and len(data) == 1 and data[0].decode().endswith('"/" Work/Sub'), data


def test_names_that_need_quoting_round_trip(imap):
    acct = imap.account()
    c = imap.connect(acct)
    names = ["with space", 'dq"uote', "back\\slash", "paren(s)", "brace{1}", "br]acket", "NIL"]
    for name in names:
        assert c.command(f"CREATE {quote(name)}").ok, name
    assert set(listed(c, "", "*")) == {"INBOX", *names}
    for name in names:
        assert status(c, name, "MESSAGES") == {"MESSAGES": 0}, name
        assert c.append(name, message()).ok, name
    # A literal names a mailbox as well as a quoted string does.
    r = c.command("STATUS ", Literal(b'dq"uote'), " (MESSAGES)")
    assert r.ok and "MESSAGES 1" in r.data("STATUS")[0], r
    # A control character is not allowed in a name.
    assert c.command('CREATE "tab\there"').status in ("NO", "BAD")


# --- modified UTF-7 --------------------------------------------------------------------------

def mutf7(name):
    """RFC 3501 5.1.3 modified UTF-7."""
    import base64
    out, run = [], []

    def flush():
        if run:
            b64 = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + b64 + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def test_mutf7_helper():
    assert mutf7("Entwürfe") == "Entw&APw-rfe"
    assert mutf7("R&D") == "R&-D"
    assert mutf7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"


def ximss_mailboxes(server, acct):
    client = server.login(acct.user, acct.password)
    r = client.request("mailboxList", {"filter": "*"})
    assert r.ok, r
    names = {m.get("mailbox") for m in r.data}
    client.close()
    return names


def test_non_ascii_names_are_modified_utf7_on_the_wire(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.command('CREATE "Entw&APw-rfe"').ok
    assert c.command('CREATE "R&-D"').ok
    assert c.command(f'CREATE {quote(mutf7("Привет/Мир"))}').ok
    boxes = listed(c, "", "*")
    assert {"Entw&APw-rfe", "R&-D", mutf7("Привет"), mutf7("Привет/Мир")} <= set(boxes), boxes
    append(c, "Entw&APw-rfe")
    assert status(c, "Entw&APw-rfe", "MESSAGES") == {"MESSAGES": 1}
    info = select_info(c.select("Entw&APw-rfe"))
    assert info["EXISTS"] == 1
    # XIMSS names are UTF-8: the same mailboxes.
    names = ximss_mailboxes(imap.server, acct)
    assert {"Entwürfe", "R&D", "Привет/Мир"} <= names, names
    # And a mailbox XIMSS creates comes to IMAP encoded.
    client = imap.server.login(acct.user, acct.password)
    assert client.request("mailboxCreate", {"mailbox": "日本語"}).ok
    client.close()
    assert mutf7("日本語") in listed(c, "", "*")
    assert set(listed(c, "", "Entw*")) == {"Entw&APw-rfe"}


def test_invalid_modified_utf7_names_are_refused(imap):
    acct = imap.account()
    c = imap.connect(acct)
    for name in ("bad&Jjo", "x&AGE-", "&Jjo!"):
        # unterminated base64; printable ASCII ("a") encoded; a character outside the alphabet
        r = c.command(f"CREATE {quote(name)}")
        assert r.status in ("NO", "BAD"), (name, r)
    # 8-bit characters are not allowed in a quoted string.
    r = c.command('CREATE "Entw\xfcrfe"'.encode("utf-8"))
    assert r.status in ("NO", "BAD"), r
    assert set(listed(c, "", "*")) == {"INBOX"}


# --- STATUS ----------------------------------------------------------------------------------

def test_status(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.ok("CREATE Box")
    v, u1 = append(c, "Box", flags=["\\Seen"])
    append(c, "Box")
    _, u3 = append(c, "Box", flags=["\\Flagged"])
    values = status(c, "Box")
    assert values["MESSAGES"] == 3 and values["RECENT"] == 3 and values["UNSEEN"] == 2, values
    assert values["UIDNEXT"] == u3 + 1 and values["UIDVALIDITY"] == v, values
    assert values["HIGHESTMODSEQ"] > 0, values
    # STATUS does not take \Recent away, and agrees with SELECT.
    info = select_info(c.select("Box"))
    assert info["RECENT"] == 3 and info["HIGHESTMODSEQ"] == values["HIGHESTMODSEQ"], (info, values)
    c.ok("STORE 2 +FLAGS (\\Seen)")
    c.ok("UNSELECT")
    later = status(c, "Box")
    assert later["UNSEEN"] == 1 and later["HIGHESTMODSEQ"] > values["HIGHESTMODSEQ"], later
    assert later["RECENT"] == 0, later
    # Items can be asked for one by one, in any order.
    assert status(c, "Box", "UIDVALIDITY MESSAGES") == {"UIDVALIDITY": v, "MESSAGES": 3}
    assert c.command("STATUS NoSuchBox (MESSAGES)").status == "NO"
    assert c.command("STATUS Box (BOGUS)").status == "BAD"
    assert c.command("STATUS Box").status == "BAD"


def test_status_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    c.append("INBOX", r"(\Seen)", None, message())
    c.append("INBOX", None, None, message())
    typ, data = c.status("INBOX", "(MESSAGES UNSEEN)")
    assert typ == "OK" and re.search(rb"\(MESSAGES 2 UNSEEN 1\)", data[0]), data


# --- APPEND ----------------------------------------------------------------------------------

def test_append_with_flags_and_date_time(imap):
    acct = imap.account()
    c = imap.connect(acct)
    msg = message(subject="dated")
    v, uid = append(c, "INBOX", msg, flags=["\\Seen", "\\Flagged", "$Work"], date="17-Jul-1996 02:44:25 -0700")
    _, uid2 = append(c, "INBOX", msg, date=" 7-Feb-2021 23:00:00 +0100")
    _, uid3 = append(c, "INBOX", msg)
    info = select_info(c.select("INBOX"))
    assert info["UIDVALIDITY"] == v and info["UIDNEXT"] == uid3 + 1, info
    r = c.ok("FETCH 1:3 (UID FLAGS INTERNALDATE RFC822.SIZE)")
    f = r.fetches()
    assert f[1]["UID"] == uid and f[2]["UID"] == uid2 and f[3]["UID"] == uid3, f
    assert set(f[1]["FLAGS"]) == {"\\Seen", "\\Flagged", "$Work", "\\Recent"}, f
    assert set(f[2]["FLAGS"]) == {"\\Recent"} and set(f[3]["FLAGS"]) == {"\\Recent"}, f
    assert internal_date(f[1]["INTERNALDATE"]) == internal_date("17-Jul-1996 02:44:25 -0700"), f
    assert internal_date(f[2]["INTERNALDATE"]) == internal_date("07-Feb-2021 23:00:00 +0100"), f
    # Without a date-time, the time of the APPEND (sanity bound only).
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs(internal_date(f[3]["INTERNALDATE"]) - now) < datetime.timedelta(hours=1), f
    assert all(x["RFC822.SIZE"] == len(msg) for x in f.values()), f
    # The date-time format is date-day-fixed: two characters for the day.
    assert all(re.fullmatch(r"[ \d]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}", x["INTERNALDATE"]) for x in f.values()), f


def test_append_errors(imap):
    acct = imap.account()
    c = imap.connect(acct)
    msg = message()
    r = c.append("NoSuchBox", msg)
    # RFC 3501 6.3.11: NO [TRYCREATE] when the mailbox does not exist.
    assert r.status == "NO" and r.code == "TRYCREATE", r
    for date in ("01-Foo-2020 10:00:00 +0000", "yesterday", "01-Jan-2020"):
        r = c.append("INBOX", msg, date=date)
        assert r.status == "BAD", (date, r)
    r = c.append("INBOX", msg, flags=["\\Bogus"])
    assert r.status in ("NO", "BAD"), r
    assert status(c, "INBOX", "MESSAGES") == {"MESSAGES": 0}


def test_append_synchronizing_literal_waits_for_continuation(imap):
    acct = imap.account()
    c = imap.connect(acct)
    msg = message(subject="sync")
    tag = c.send_command(f"APPEND INBOX (\\Draft) {{{len(msg)}}}")
    line = c.read_response()
    assert line.startswith("+"), line
    c.send(msg + b"\r\n")
    r = c.read_tagged(tag)
    assert r.ok and re.fullmatch(r"APPENDUID \d+ \d+", r.code or ""), r
    assert status(c, "INBOX", "MESSAGES") == {"MESSAGES": 1}


def test_append_literal_plus_needs_no_continuation(imap):
    acct = imap.account()
    c = imap.connect(acct)
    msgs = [message(subject=f"plus {i}", body=f"body {i}\r\n") for i in range(5)]
    # All five pipelined in one write, none waiting for "+".
    tags = []
    data = b""
    for m in msgs:
        tag = c.next_tag()
        tags.append(tag)
        data += f"{tag} APPEND INBOX {{{len(m)}+}}\r\n".encode() + m + b"\r\n"
    c.send(data)
    uids = []
    for tag in tags:
        r = c.read_tagged(tag)
        assert r.ok and not any(l.startswith("+") for l in r.untagged), r
        uids.append(int(r.code.split()[2]))
    assert uids == sorted(uids) and len(set(uids)) == 5, uids
    c.select("INBOX")
    bodies = c.ok("FETCH 1:5 BODY.PEEK[]").fetches()
    assert [bodies[i + 1]["BODY[]"].encode("latin-1") for i in range(5)] == msgs


def test_append_to_the_selected_mailbox_announces_it(imap):
    acct = imap.account()
    c = imap.connect(acct)
    append(c, "INBOX")
    c.select("INBOX")
    r = c.append("INBOX", message())
    assert r.ok, r
    seen = r.numbers("EXISTS")
    if not seen:
        seen = c.ok("NOOP").numbers("EXISTS")
    assert seen == [2], (r, seen)
    assert c.ok("FETCH 2 UID").fetches()[2]["UID"] == int(r.code.split()[2])


def test_append_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    when = imaplib.Time2Internaldate(datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc))
    typ, data = c.append("INBOX", r"(\Answered)", when, message(subject="imaplib"))
    assert typ == "OK" and re.search(rb"\[APPENDUID \d+ \d+\]", data[0]), data
    c.select("INBOX")
    typ, data = c.fetch("1", "(FLAGS INTERNALDATE)")
    assert typ == "OK"
    assert b"\\Answered" in data[0]
    parsed = re.search(rb'INTERNALDATE "([^"]+)"', data[0]).group(1).decode()
    assert internal_date(parsed) == datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)


# --- NAMESPACE / ENABLE ----------------------------------------------------------------------

def test_namespace(imap):
    acct = imap.account()
    c = imap.connect(acct)
    r = c.ok("NAMESPACE")
    assert len(r.untagged) == 1, r
    # interface.md: personal "" with "/", other users "~" with "/", no shared namespace.
    assert parse(r.untagged[0]) == ["*", "NAMESPACE", [["", "/"]], [["~", "/"]], None], r


def test_enable(imap):
    acct = imap.account()
    c = imap.connect(acct)
    r = c.ok("ENABLE CONDSTORE")
    assert [l.split()[2:] for l in r.untagged if l.upper().startswith("* ENABLED")] == [["CONDSTORE"]], r
    r = c.ok("ENABLE QRESYNC")
    enabled = [w.upper() for l in r.untagged if l.upper().startswith("* ENABLED") for w in l.split()[2:]]
    assert "QRESYNC" in enabled, r
    # Unknown names are ignored: nothing enabled (an empty ENABLED, or none).
    r = c.ok("ENABLE X-NOSUCH-EXTENSION")
    assert [l.rstrip() for l in r.untagged] in (["* ENABLED"], []), r
    assert c.command("ENABLE").status == "BAD"
    # QRESYNC implies CONDSTORE (RFC 7162 3.2.3): SELECT gives HIGHESTMODSEQ, FETCH gives MODSEQ.
    c2 = imap.connect(acct)
    append(c2, "INBOX")
    r = c2.ok("ENABLE QRESYNC")
    info = select_info(c2.select("INBOX"))
    assert info["HIGHESTMODSEQ"] > 0, info
    r = c2.ok("STORE 1 +FLAGS (\\Seen)")
    [(n, items)] = r.fetches().items()
    assert "MODSEQ" in items and "UID" in items, r
