"""IMAP extensions: CONDSTORE and QRESYNC (RFC 7162), ACL (RFC 4314) between two accounts,
QUOTA (RFC 9208) and COMPRESS=DEFLATE (RFC 4978)."""

import re
import socket

import pytest

from imap_raw import (Literal, imap, imap_fresh, message, parse, parse_sequence_set, quote,  # noqa: F401
                      search_numbers, select_info)


def fill(c, mailbox, count, size=0):
    uids = []
    for i in range(count):
        body = f"message {i}\r\n" + ("z" * 70 + "\r\n") * (size // 72)
        r = c.append(mailbox, message(subject=f"m{i}", body=body))
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    return uids


def modseq(items):
    value = items["MODSEQ"]
    assert isinstance(value, list) and len(value) == 1 and isinstance(value[0], int) and value[0] > 0, items
    return value[0]


# --- CONDSTORE -------------------------------------------------------------------------------

def test_condstore_modseq_changedsince_and_unchangedsince(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 3)
    r = c.ok("SELECT INBOX (CONDSTORE)")
    h0 = select_info(r)["HIGHESTMODSEQ"]
    f = c.ok("FETCH 1:3 (MODSEQ)").fetches()
    seqs = {n: modseq(f[n]) for n in (1, 2, 3)}
    assert all(0 < m <= h0 for m in seqs.values()) and max(seqs.values()) == h0, (seqs, h0)
    # A STORE raises the message's mod-sequence, and its FETCH response carries it.
    r = c.ok("STORE 2 +FLAGS (\\Flagged)")
    f = r.fetches()
    m2 = modseq(f[2])
    assert m2 > h0 and "\\Flagged" in f[2]["FLAGS"], r
    # CHANGEDSINCE: only what changed after the given mod-sequence, with MODSEQ.
    f = c.ok(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {h0})").fetches()
    assert list(f) == [2] and modseq(f[2]) == m2, f
    f = c.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0})").fetches()
    assert list(f) == [2] and f[2]["UID"] == uids[1] and modseq(f[2]) == m2, f
    assert c.ok(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {m2})").fetches() == {}
    # UNCHANGEDSINCE: message 2 changed after h0, so it is left alone and named in MODIFIED.
    r = c.command(f"STORE 1:3 (UNCHANGEDSINCE {h0}) +FLAGS (\\Seen)")
    assert r.ok and r.code == "MODIFIED 2", r
    assert set(r.fetches()) == {1, 3}, r
    f = c.ok("FETCH 1:3 (FLAGS MODSEQ)").fetches()
    assert "\\Seen" in f[1]["FLAGS"] and "\\Seen" in f[3]["FLAGS"] and "\\Seen" not in f[2]["FLAGS"], f
    assert modseq(f[2]) == m2 and modseq(f[1]) > m2, f
    # UID STORE names UIDs in MODIFIED.
    r = c.command(f"UID STORE {uids[0]}:{uids[2]} (UNCHANGEDSINCE {m2}) +FLAGS (\\Answered)")
    assert r.ok and parse_sequence_set(r.code.split()[1]) == [uids[0], uids[2]], r
    f = r.fetches()  # message 2 was unchanged since m2: it got the flag
    assert list(f) == [2] and f[2]["UID"] == uids[1] and "\\Answered" in f[2]["FLAGS"], r
    m2 = modseq(f[2])
    # UNCHANGEDSINCE 0 always fails (RFC 7162 3.1.3).
    r = c.command("STORE 2 (UNCHANGEDSINCE 0) +FLAGS (\\Draft)")
    assert r.ok and r.code == "MODIFIED 2", r
    # SEARCH MODSEQ: the messages changed since, plus the highest mod-sequence among them.
    r = c.ok(f"SEARCH MODSEQ {m2}")
    assert search_numbers(r) == [2], r
    r = c.ok(f"SEARCH MODSEQ {h0 + 1}")
    [line] = r.data("SEARCH")
    words = parse("* " + line)[2:]
    assert words[:-1] == [1, 2, 3] and words[-1][0].upper() == "MODSEQ", r
    highest = select_info(c.ok("SELECT INBOX"))["HIGHESTMODSEQ"]
    assert words[-1][1] == highest, (r, highest)
    status = c.ok("STATUS INBOX (HIGHESTMODSEQ)").data("STATUS")[0]
    assert f"HIGHESTMODSEQ {highest}" in status


def test_condstore_is_enabled_by_a_fetch_modseq_and_examine_works(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 2)
    r = c.ok("EXAMINE INBOX (CONDSTORE)")
    assert select_info(r)["ACCESS"] == "READ-ONLY" and select_info(r)["HIGHESTMODSEQ"] > 0
    assert c.command("STORE 1 (UNCHANGEDSINCE 1000) +FLAGS (\\Seen)").status == "NO"
    other = imap.connect(acct)
    other.select("INBOX")
    f = other.ok("FETCH 1 (MODSEQ)").fetches()  # enables CONDSTORE for the session
    modseq(f[1])
    r = other.ok("STORE 2 +FLAGS (\\Flagged)")
    modseq(r.fetches()[2])  # FETCH responses now carry MODSEQ
    assert other.command("FETCH 1 (FLAGS) (CHANGEDSINCE x)").status == "BAD"
    assert other.command("STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)").status == "BAD"


# --- QRESYNC ---------------------------------------------------------------------------------

def vanished(reply):
    """(earlier, set of UIDs) of every VANISHED response, merged."""
    earlier, uids = None, set()
    for line in reply.data("VANISHED"):
        rest = line.split(" ", 1)[1]
        is_earlier = rest.upper().startswith("(EARLIER) ")
        if is_earlier:
            rest = rest.split(" ", 1)[1]
        earlier = is_earlier if earlier is None else earlier
        assert earlier == is_earlier, reply
        uids |= set(parse_sequence_set(rest.strip()))
    return earlier, uids


def test_qresync_select_reports_vanished_and_changed(imap):
    acct = imap.account()
    a = imap.connect(acct)
    uids = fill(a, "INBOX", 5)
    a.ok("ENABLE QRESYNC")
    info = select_info(a.select("INBOX"))
    validity, h0 = info["UIDVALIDITY"], info["HIGHESTMODSEQ"]
    a.ok("UNSELECT")
    b = imap.connect(acct)
    b.select("INBOX")
    b.ok("STORE 2 +FLAGS (\\Flagged)")
    b.ok("STORE 3,5 +FLAGS (\\Deleted)")
    b.ok("EXPUNGE")
    # The client comes back with what it knew: VANISHED (EARLIER) and the changed flags.
    r = a.ok(f"SELECT INBOX (QRESYNC ({validity} {h0}))")
    earlier, gone = vanished(r)
    assert earlier is True and {uids[2], uids[4]} <= gone, r
    assert not gone & {uids[0], uids[1], uids[3]}, r
    f = r.fetches()
    assert list(f) == [2] and f[2]["UID"] == uids[1] and "\\Flagged" in f[2]["FLAGS"], r
    modseq(f[2])
    info = select_info(r)
    assert info["EXISTS"] == 3 and info["HIGHESTMODSEQ"] > h0, info
    # With the known UIDs given, only those are reported.
    r = a.ok(f"SELECT INBOX (QRESYNC ({validity} {h0} {uids[2]}))")
    assert vanished(r) == (True, {uids[2]}), r
    # A different UIDVALIDITY: no incremental data at all.
    r = a.ok(f"SELECT INBOX (QRESYNC ({validity + 1} {h0}))")
    assert not r.data("VANISHED") and not r.data("FETCH"), r
    # UID FETCH ... (CHANGEDSINCE m VANISHED).
    r = a.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0} VANISHED)")
    earlier, gone = vanished(r)
    assert earlier is True and {uids[2], uids[4]} <= gone and not gone & {uids[0], uids[1], uids[3]}, r
    assert {x["UID"] for x in r.fetches().values()} == {uids[1]}, r


def test_qresync_parameter_needs_enable(imap):
    acct = imap.account()
    c = imap.connect(acct)
    fill(c, "INBOX", 1)
    info = select_info(c.select("INBOX"))
    c.ok("UNSELECT")
    r = c.command(f"SELECT INBOX (QRESYNC ({info['UIDVALIDITY']} 1))")
    # RFC 7162 3.2.5: BAD unless ENABLE QRESYNC was issued.
    assert r.status == "BAD", r


def test_qresync_expunge_sends_vanished(imap):
    acct = imap.account()
    c = imap.connect(acct)
    uids = fill(c, "INBOX", 4)
    c.ok("ENABLE QRESYNC")
    c.select("INBOX")
    c.ok("STORE 2:3 +FLAGS.SILENT (\\Deleted)")
    r = c.ok("EXPUNGE")
    # RFC 7162 3.2.10: VANISHED (without EARLIER) instead of EXPUNGE.
    assert not r.data("EXPUNGE"), r
    assert vanished(r) == (False, {uids[1], uids[2]}), r
    c.ok("CREATE Other")
    r = c.ok("MOVE 1 Other")
    assert not r.data("EXPUNGE") and vanished(r) == (False, {uids[0]}), r


# --- ACL -------------------------------------------------------------------------------------

ALL_RIGHTS = set("lrswipkxtea")


def rights_of(text):
    return set(text) - {"c", "d"}  # RFC 4314 2.1.1: the obsolete virtual rights may be added


def acl_entries(reply, mailbox):
    lines = reply.data("ACL")
    assert len(lines) == 1, reply
    values = parse("* " + lines[0])
    assert values[1].upper() == "ACL" and values[2] == mailbox, reply
    pairs = values[3:]
    assert len(pairs) % 2 == 0, reply
    return {str(pairs[i]): str(pairs[i + 1]) for i in range(0, len(pairs), 2)}


def entry_for(entries, acct):
    for ident in (acct.user, acct.name):
        if ident in entries:
            return entries[ident]
    return None


def lower_set(attrs):
    return {a.lower() for a in attrs}


def myrights(c, mailbox):
    r = c.ok(f"MYRIGHTS {quote(mailbox)}")
    [line] = r.data("MYRIGHTS")
    values = parse("* " + line)
    assert values[2] == mailbox, r
    return rights_of(str(values[3]))


def test_acl_between_two_accounts(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE Shared")
    assert a.append("Shared", message(subject="shared one")).ok
    shared = f"~{alice.user}/Shared"
    # The owner has every right.
    assert myrights(a, "Shared") == ALL_RIGHTS
    assert myrights(a, "INBOX") == ALL_RIGHTS
    # Bob sees nothing yet.
    assert b.ok(f'LIST "" {quote(f"~{alice.user}/*")}').data("LIST") == []
    assert b.command(f"SELECT {quote(shared)}").status == "NO"
    assert b.command(f"MYRIGHTS {quote(shared)}").status == "NO"
    # Alice grants lookup and read.
    assert a.command(f"SETACL Shared {quote(bob.user)} lr").ok
    entries = acl_entries(a.ok("GETACL Shared"), "Shared")
    assert rights_of(entry_for(entries, bob) or "") == set("lr"), entries
    boxes = b.ok(f'LIST "" {quote(f"~{alice.user}/*")}')
    names = {parse("* " + l)[4] for l in boxes.data("LIST")}
    assert names == {shared}, boxes  # not her INBOX
    assert shared in {parse("* " + l)[4] for l in b.ok('LIST "" "~*"').data("LIST")}
    assert myrights(b, shared) == set("lr")
    r = b.command(f"SELECT {quote(shared)}")
    assert r.ok and select_info(r)["ACCESS"] == "READ-ONLY" and select_info(r)["EXISTS"] == 1, r
    f = b.ok("FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]").fetches()
    assert f[1]["BODY[HEADER.FIELDS (SUBJECT)]"] == "Subject: shared one\r\n\r\n"
    assert b.command("STORE 1 +FLAGS (\\Deleted)").status == "NO"
    b.ok("UNSELECT")
    # Without "i", APPEND fails; without "a", GETACL and SETACL fail.
    assert b.append(shared, message()).status == "NO"
    assert b.command(f"GETACL {quote(shared)}").status == "NO"
    assert b.command(f"SETACL {quote(shared)} {quote(bob.user)} lrswipkxtea").status == "NO"
    # "+i" adds insert: now APPEND works.
    assert a.command(f"SETACL Shared {quote(bob.user)} +i").ok
    assert rights_of(entry_for(acl_entries(a.ok("GETACL Shared"), "Shared"), bob)) == set("lri")
    r = b.append(shared, message(subject="from bob"))
    assert r.ok, r
    assert "MESSAGES 2" in a.ok("STATUS Shared (MESSAGES)").data("STATUS")[0]
    # "-r" takes read away.
    assert a.command(f"SETACL Shared {quote(bob.user)} -r").ok
    assert myrights(b, shared) == set("li")
    # LISTRIGHTS: what can be granted to bob.
    r = a.ok(f"LISTRIGHTS Shared {quote(bob.user)}")
    [line] = r.data("LISTRIGHTS")
    values = parse("* " + line)
    assert values[2] == "Shared" and str(values[3]) in (bob.user, bob.name), r
    offered = set("".join(str(v) for v in values[4:]))
    assert ALL_RIGHTS <= offered | {"c", "d"} and offered <= ALL_RIGHTS | {"c", "d"}, r
    # DELETEACL: bob loses everything.
    assert a.command(f"DELETEACL Shared {quote(bob.user)}").ok
    assert entry_for(acl_entries(a.ok("GETACL Shared"), "Shared"), bob) is None
    assert b.command(f"SELECT {quote(shared)}").status == "NO"
    assert b.ok(f'LIST "" {quote(f"~{alice.user}/*")}').data("LIST") == []


def test_the_other_users_level_is_listed_with_percent(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE Shared")
    a.ok(f"SETACL Shared {quote(bob.user)} lr")
    # RFC 3501 6.3.8: a trailing "%" also returns the levels of hierarchy it matches, as
    # \Noselect when they are not mailboxes: here the other user's level of the "~" namespace.
    levels = {parse("* " + l)[4]: lower_set(parse("* " + l)[2]) for l in b.ok('LIST "" "~%"').data("LIST")}
    assert f"~{alice.user}" in levels and "\\noselect" in levels[f"~{alice.user}"], levels
    below = {parse("* " + l)[4] for l in b.ok(f'LIST "" {quote(f"~{alice.user}/%")}').data("LIST")}
    assert below == {f"~{alice.user}/Shared"}, below


def test_acl_rights_decide_what_the_sharee_may_do(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE Team")
    assert a.append("Team", message()).ok
    team = f"~{alice.user}/Team"
    a.ok(f"SETACL Team {quote(bob.user)} lrswte")
    r = b.command(f"SELECT {quote(team)}")
    assert r.ok and select_info(r)["ACCESS"] == "READ-WRITE", r
    r = b.ok("STORE 1 +FLAGS (\\Seen \\Deleted)")
    assert {"\\Seen", "\\Deleted"} <= set(r.fetches()[1]["FLAGS"]), r
    r = b.ok("EXPUNGE")
    assert r.numbers("EXPUNGE") == [1], r
    assert "MESSAGES 0" in a.ok("STATUS Team (MESSAGES)").data("STATUS")[0]


@pytest.mark.parametrize("granted_as,revoked_as", [("name", "user"), ("user", "name")])
def test_acl_identifier_forms_name_the_same_account(imap, granted_as, revoked_as):
    """bob and bob@example.dom are the same account (LOGIN takes both): a grant made with one form
    is taken back with the other, and rights given under both forms are one entry."""
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE Box")
    box = f"~{alice.user}/Box"
    a.ok(f"SETACL Box {quote(getattr(bob, granted_as))} lr")
    assert b.command(f"EXAMINE {quote(box)}").ok
    b.ok("UNSELECT")
    r = a.command(f"DELETEACL Box {quote(getattr(bob, revoked_as))}")
    assert r.ok, r
    assert b.command(f"EXAMINE {quote(box)}").status == "NO", "bob still reads Box after DELETEACL"
    # Rights set under one form and changed under the other are the same entry.
    a.ok(f"SETACL Box {quote(getattr(bob, granted_as))} lr")
    a.ok(f"SETACL Box {quote(getattr(bob, revoked_as))} -r")
    assert myrights(b, box) == set("l")


def test_acl_k_right_creates_below_a_shared_mailbox(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE Team")
    team = f"~{alice.user}/Team"
    # RFC 4314 4: CREATE needs "k" on the parent.
    a.ok(f"SETACL Team {quote(bob.user)} lr")
    assert b.command(f"CREATE {quote(team + '/Sub')}").status == "NO"
    a.ok(f"SETACL Team {quote(bob.user)} lrk")
    r = b.command(f"CREATE {quote(team + '/Sub')}")
    assert r.ok, r
    assert "Team/Sub" in {parse("* " + l)[4] for l in a.ok('LIST "" "Team/*"').data("LIST")}


def test_acl_x_right_deletes_a_shared_mailbox(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE Team/Old")
    team = f"~{alice.user}/Team"
    # RFC 4314 4: DELETE needs "x" on the mailbox.
    a.ok(f"SETACL Team/Old {quote(bob.user)} lr")
    assert b.command(f"DELETE {quote(team + '/Old')}").status == "NO"
    a.ok(f"SETACL Team/Old {quote(bob.user)} lrx")
    r = b.command(f"DELETE {quote(team + '/Old')}")
    assert r.ok, r
    assert "Team/Old" not in {parse("* " + l)[4] for l in a.ok('LIST "" "Team/*"').data("LIST")}


def test_acl_is_the_one_ximss_edits(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    b = imap.connect(bob)
    a.ok("CREATE FromXimss")
    a.ok("CREATE FromImap")
    x = imap.server.login(alice.user, alice.password)
    r = x.request("mailboxACLUpdate", {"mailbox": "FromXimss"}, body=f'<aclElem pattern="{bob.name}">lr</aclElem>')
    assert r.ok, r
    entries = acl_entries(a.ok("GETACL FromXimss"), "FromXimss")
    assert rights_of(entry_for(entries, bob) or "") == set("lr"), entries
    assert myrights(b, f"~{alice.user}/FromXimss") == set("lr")
    a.ok(f"SETACL FromImap {quote(bob.name)} lri")
    r = x.request("mailboxACLList", {"mailbox": "FromImap"})
    assert r.ok, r
    listed = {e.get("pattern"): e.text for e in r.data[0]}
    assert set(listed.get(bob.name) or listed.get(bob.user) or "") - {"c", "d"} == set("lri"), listed
    x.close()


def test_acl_errors(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.connect(alice)
    a.ok("CREATE Box")
    assert a.command(f"SETACL Box {quote(bob.user)} lrz").status == "BAD"  # unknown right
    assert a.command(f"SETACL NoSuchBox {quote(bob.user)} lr").status == "NO"
    assert a.command("GETACL NoSuchBox").status == "NO"
    assert a.command("SETACL Box").status == "BAD"


def test_acl_with_imaplib(imap):
    alice, bob = imap.account("alice"), imap.account("bob")
    a = imap.imaplib(alice)
    a.create("Pub")
    assert a.setacl("Pub", bob.user, "lr")[0] == "OK"
    typ, data = a.getacl("Pub")
    assert typ == "OK" and (bob.user.encode() in data[0] or bob.name.encode() in data[0]), data
    typ, data = a.myrights("Pub")
    assert typ == "OK" and data[0].startswith(b"Pub "), data
    typ, data = a.deleteacl("Pub", bob.user)
    assert typ == "OK"


# --- QUOTA -----------------------------------------------------------------------------------

def test_quota_root_without_a_quota(imap):
    acct = imap.account()
    c = imap.connect(acct)
    r = c.ok("GETQUOTAROOT INBOX")
    assert [l.rstrip() for l in r.data("QUOTAROOT")] == ["QUOTAROOT INBOX"], r
    assert not r.data("QUOTA"), r
    assert c.command('SETQUOTA "" (STORAGE 10)').status == "NO"


def storage(line):
    values = parse("* " + line)
    assert values[1].upper() == "QUOTA" and values[2] == "", line
    resources = values[3]
    assert len(resources) == 3 and resources[0].upper() == "STORAGE", line
    return resources[1], resources[2]


@pytest.mark.server_settings({"imap.quota_kib": 64})
def test_quota_limits_append_and_copy(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect(acct)
    r = c.ok("GETQUOTAROOT INBOX")
    assert [l.rstrip() for l in r.data("QUOTAROOT")] == ['QUOTAROOT INBOX ""'], r
    [line] = r.data("QUOTA")
    assert storage(line) == (0, 64), r
    c.ok("CREATE Box")
    r = c.ok("GETQUOTAROOT Box")
    assert [l.rstrip() for l in r.data("QUOTAROOT")] == ['QUOTAROOT Box ""'], r
    # A 30 KiB message counts about 30 KiB.
    msg = message(body=("q" * 78 + "\r\n") * 384)
    assert 30 * 1024 <= len(msg) < 31 * 1024
    assert c.append("INBOX", msg).ok
    used, limit = storage(c.ok('GETQUOTA ""').data("QUOTA")[0])
    assert 29 <= used <= 31 and limit == 64, (used, limit)
    # Too big for what is left.
    big = message(body=("b" * 78 + "\r\n") * 500)
    r = c.append("INBOX", big)
    assert r.status == "NO" and r.code == "OVERQUOTA", r
    r = c.append("INBOX", big, plus=True)
    assert r.status == "NO" and r.code == "OVERQUOTA", r
    assert c.command("NOOP").ok
    # COPY: one copy fits (60 KiB), the next does not.
    c.select("INBOX")
    assert c.command("COPY 1 Box").ok
    r = c.command("COPY 1 Box")
    assert r.status == "NO" and r.code == "OVERQUOTA", r
    assert "MESSAGES 1" in c.ok("STATUS Box (MESSAGES)").data("STATUS")[0]
    assert c.command('SETQUOTA "" (STORAGE 1000)').status == "NO"
    assert c.command('GETQUOTA "nosuchroot"').status == "NO"
    # Expunging frees the space again.
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    c.ok("EXPUNGE")
    used, _ = storage(c.ok('GETQUOTA ""').data("QUOTA")[0])
    assert 29 <= used <= 31, used
    assert c.append("INBOX", msg).ok


# --- COMPRESS=DEFLATE ------------------------------------------------------------------------

def test_compress_deflate(imap):
    acct = imap.account()
    c = imap.connect(acct)
    big = message(subject="big", body="".join(f"line {i} of a long compressible body\r\n" for i in range(20000)))
    assert c.append("INBOX", big).ok
    r = c.compress()
    assert r.untagged == [], r
    # Everything works through the compressed stream: commands, literals, large responses.
    assert c.command("NOOP").ok
    info = select_info(c.select("INBOX"))
    assert info["EXISTS"] == 1
    f = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])").fetches()[1]
    assert f["BODY[]"].encode("latin-1") == big and f["RFC822.SIZE"] == len(big)
    small = message(subject="through deflate")
    r = c.command("APPEND INBOX ", Literal(small))
    assert r.ok, r
    r = c.command("APPEND INBOX ", Literal(small, plus=True))
    assert r.ok, r
    c.ok("NOOP")
    assert c.ok("FETCH 3 BODY.PEEK[]").fetches()[3]["BODY[]"].encode("latin-1") == small
    # RFC 4978 3: a second COMPRESS fails with NO [COMPRESSIONACTIVE].
    r = c.command("COMPRESS DEFLATE")
    assert r.status == "NO" and r.code == "COMPRESSIONACTIVE", r
    tag = c.send_command("LOGOUT")
    assert c.read_response().startswith("* BYE")
    assert c.read_response().startswith(f"{tag} OK")


def test_compress_over_imaps_and_after_starttls(imap):
    acct = imap.account()
    big = message(body="".join(f"tls and deflate line {i}\r\n" for i in range(5000)))
    for how in ("imaps", "starttls"):
        if how == "imaps":
            c = imap.connect(tls=True)
        else:
            c = imap.connect()
            c.starttls()
        c.login(acct.user, acct.password)
        r = c.command("COMPRESS DEFLATE")
        if r.status == "NO":
            # RFC 4978 3: a server may refuse when TLS compresses already (not with OpenSSL's default).
            assert r.code == "COMPRESSIONACTIVE", r
            continue
        assert r.ok, r
        c.start_deflate()
        assert c.append("INBOX", big).ok
        c.select("INBOX")
        f = c.ok("FETCH * BODY.PEEK[]").fetches()
        assert list(f.values())[0]["BODY[]"].encode("latin-1") == big


def test_compress_errors(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.command("COMPRESS X-NOSUCH").status in ("NO", "BAD")
    assert c.command("COMPRESS").status == "BAD"
    assert c.command("NOOP").ok  # still uncompressed


def test_compressed_idle_gets_updates_at_once(imap):
    acct = imap.account()
    a = imap.connect(acct)
    a.compress()
    a.select("INBOX")
    tag = a.idle()
    b = imap.connect(acct)
    assert b.append("INBOX", message()).ok
    # The server must flush its deflate stream for the update to arrive without a command.
    lines = a.read_until(lambda l: re.match(r"^\* 1 EXISTS$", l) is not None, timeout=10)
    assert lines[-1] == "* 1 EXISTS"
    r = a.done(tag)
    assert r.ok, r


def test_compress_with_imaplib_does_not_confuse_a_plain_client(imap):
    """COMPRESS is an explicit opt-in: a client that never asks gets plain text."""
    acct = imap.account()
    c = imap.imaplib(acct)
    assert "COMPRESS=DEFLATE" in c.capabilities or b"COMPRESS=DEFLATE" in c.capability()[1][0]
    assert c.noop()[0] == "OK"
