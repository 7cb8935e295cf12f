"""IMAP SEARCH (RFC 3501 6.4.4): every search key, sequence sets, UID SEARCH, CHARSET and
BADCHARSET; ESEARCH (RFC 4731), SEARCHRES (RFC 5182), WITHIN (RFC 5032); SORT and THREAD
ORDEREDSUBJECT / REFERENCES (RFC 5256)."""

import pytest

from imap_raw import (ImapHarness, Literal, imap, message, parse, parse_sequence_set, quote,  # noqa: F401
                      search_numbers, thread_forest)

# --- the search corpus -----------------------------------------------------------------------
# (internal date, Date header, From, To, extra headers, Subject, body, flags)
CORPUS = [
    ("01-Jan-2020 12:00:00 +0000", "Tue, 31 Dec 2019 12:00:00 +0000", "Alice <alice@a.example>", "bob@b.example", [],
     "Quarterly report", "The numbers are attached.\r\n", ["\\Seen"]),
    ("05-Jan-2020 12:00:00 +0000", "Sat, 4 Jan 2020 12:00:00 +0000", "Bob <bob@b.example>", "alice@a.example",
     ["Cc: Carol <carol@c.example>"], "Re: Quarterly report", "Looks good to me.\r\n", ["\\Seen", "\\Answered"]),
    ("10-Jan-2020 12:00:00 +0000", "Thu, 9 Jan 2020 12:00:00 +0000", "Carol <carol@c.example>", "alice@a.example", [],
     "Lunch?", "Pizza or sushi?\r\n" + "padding line for size\r\n" * 200, ["\\Flagged"]),
    ("15-Jan-2020 12:00:00 +0000", "Tue, 14 Jan 2020 12:00:00 +0000", "alice@a.example", "bob@b.example",
     ["Bcc: dave@d.example"], "Draft plan", "Draft text.\r\n", ["\\Draft", "\\Deleted"]),
    ("20-Jan-2020 12:00:00 +0000", "Sun, 19 Jan 2020 12:00:00 +0000", "Dave <dave@d.example>", "alice@a.example",
     ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
     "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus K=?UTF-8?Q?=C3=B6?=ln", "Schöne Grüße!\r\n", ["$Work"]),
    ("25-Jan-2020 12:00:00 +0000", "Fri, 24 Jan 2020 12:00:00 +0000", "eve@e.example", "bob@b.example",
     ["X-Custom: yes please"], "Misc", "Nothing special.\r\n", []),
]


def corpus_message(i):
    _, date, frm, to, extra, subject, body, _ = CORPUS[i]
    return message(subject=subject, frm=frm, to=to, date=date, body=body, headers=extra,
                   message_id=f"<corpus{i + 1}@example.dom>")


@pytest.fixture(scope="module")
def corpus(module_server):
    h = ImapHarness(module_server)
    acct = h.account("search")
    c = h.connect(acct)
    uids = []
    for i, (internal, *_rest) in enumerate(CORPUS):
        r = c.append("INBOX", corpus_message(i), flags=CORPUS[i][7], date=internal)
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    h.close()
    acct.uids = uids
    return acct


def examine(imap, acct):
    c = imap.connect(acct)
    c.ok("EXAMINE INBOX")
    return c


def search(c, criteria):
    r = c.command(f"SEARCH {criteria}")
    assert r.ok, (criteria, r)
    return search_numbers(r)


SIZES = [len(corpus_message(i)) for i in range(len(CORPUS))]

KEYS = {
    "ALL": [1, 2, 3, 4, 5, 6],
    "ANSWERED": [2], "UNANSWERED": [1, 3, 4, 5, 6],
    "DELETED": [4], "UNDELETED": [1, 2, 3, 5, 6],
    "DRAFT": [4], "UNDRAFT": [1, 2, 3, 5, 6],
    "FLAGGED": [3], "UNFLAGGED": [1, 2, 4, 5, 6],
    "SEEN": [1, 2], "UNSEEN": [3, 4, 5, 6],
    "KEYWORD $Work": [5], "UNKEYWORD $Work": [1, 2, 3, 4, 6], "KEYWORD $Other": [],
    "FROM alice": [1, 4], 'FROM "Carol"': [3], "FROM A.EXAMPLE": [1, 4],
    "TO alice": [2, 3, 5], "TO bob@b.example": [1, 4, 6],
    "CC carol": [2], "BCC dave": [4],
    "SUBJECT report": [1, 2], 'SUBJECT "quarterly REPORT"': [1, 2], "SUBJECT plan": [4],
    "BODY pizza": [3], "BODY numbers": [1], "BODY Quarterly": [],
    "TEXT Quarterly": [1, 2], "TEXT pizza": [3], "TEXT corpus3@example.dom": [3],
    "HEADER X-Custom yes": [6], 'HEADER X-Custom ""': [6], 'HEADER Message-ID "corpus2@"': [2],
    f"LARGER {max(SIZES[:2] + SIZES[3:])}": [3], f"SMALLER {SIZES[2]}": [1, 2, 4, 5, 6],
    f"LARGER {SIZES[2]}": [], f"SMALLER {min(SIZES)}": [],
    "BEFORE 10-Jan-2020": [1, 2], "ON 10-Jan-2020": [3], "SINCE 10-Jan-2020": [3, 4, 5, 6],
    "ON 11-Jan-2020": [], "SINCE 1-Feb-2020": [],
    "SENTBEFORE 9-Jan-2020": [1, 2], "SENTON 09-Jan-2020": [3], "SENTSINCE 19-Jan-2020": [5, 6],
    "2:4": [2, 3, 4], "*": [6], "5:*": [5, 6], "1,3,5": [1, 3, 5], "4:2": [2, 3, 4],
    "NOT SEEN": [3, 4, 5, 6], "NOT NOT SEEN": [1, 2],
    "OR SEEN FLAGGED": [1, 2, 3], "OR (FROM alice) (TO carol)": [1, 4], "OR ANSWERED OR DRAFT FLAGGED": [2, 3, 4],
    "(SEEN ANSWERED)": [2], "SEEN ANSWERED": [2], "FROM alice SUBJECT plan": [4], "2:5 UNSEEN": [3, 4, 5],
    "NOT (OR FROM alice CC carol)": [3, 5, 6], "NOT (FROM alice OR TO alice CC carol)": [1, 2, 3, 4, 5, 6],
    "UNSEEN SINCE 12-Jan-2020 NOT DELETED": [5, 6],
    "ALL ALL": [1, 2, 3, 4, 5, 6],
    "all": [1, 2, 3, 4, 5, 6], "seen": [1, 2], "from ALICE": [1, 4],
}


@pytest.mark.parametrize("criteria", list(KEYS))
def test_search_key(imap, corpus, criteria):
    c = examine(imap, corpus)
    assert search(c, criteria) == KEYS[criteria], criteria


def test_search_uid_key_and_uid_search(imap, corpus):
    c = examine(imap, corpus)
    u = corpus.uids
    assert search(c, f"UID {u[1]}:{u[3]}") == [2, 3, 4]
    assert search(c, f"UID {u[5]}") == [6]
    assert search(c, f"UID {u[5] + 100}:*") == [6]  # * is the highest UID
    r = c.ok("UID SEARCH FLAGGED")
    assert search_numbers(r) == [u[2]], r
    r = c.ok("UID SEARCH ALL")
    assert search_numbers(r) == u, r
    r = c.ok(f"UID SEARCH UID {u[0]},{u[4]} SEEN")
    assert search_numbers(r) == [u[0]], r
    r = c.ok("UID SEARCH 2:3")  # a sequence set in UID SEARCH is still message numbers
    assert search_numbers(r) == u[1:3], r


def test_search_with_no_match_sends_an_empty_search(imap, corpus):
    c = examine(imap, corpus)
    r = c.ok("SEARCH SUBJECT nothing-like-this")
    assert [l.rstrip() for l in r.data("SEARCH")] == ["SEARCH"], r


def test_search_charset_utf8(imap, corpus):
    c = examine(imap, corpus)
    # 8-bit strings go as literals; encoded words in the header are decoded before matching.
    for key, text in (("SUBJECT", "Grüße"), ("SUBJECT", "Köln"), ("BODY", "Schöne"), ("TEXT", "Grüße aus")):
        r = c.command(f"SEARCH CHARSET UTF-8 {key} ", Literal(text.encode()))
        assert r.ok, r
        assert search_numbers(r) == [5], (key, text, r)
    r = c.command("SEARCH CHARSET UTF-8 SUBJECT ", Literal("grüße".encode()))  # case-insensitive
    assert search_numbers(r) == [5], r
    r = c.command("SEARCH CHARSET utf-8 SUBJECT ", Literal("Grüße".encode(), plus=True))
    assert search_numbers(r) == [5], r
    assert search(c, "CHARSET US-ASCII FROM alice") == [1, 4]
    assert search(c, "CHARSET UTF-8 SUBJECT Lunch") == [3]


def test_search_unknown_charset_is_badcharset(imap, corpus):
    c = examine(imap, corpus)
    r = c.command("SEARCH CHARSET X-NO-SUCH-CHARSET SUBJECT x")
    # RFC 3501 6.4.4 / 7.1: NO [BADCHARSET], optionally with the supported charsets.
    assert r.status == "NO" and r.code and r.code.upper().split()[0] == "BADCHARSET", r
    if len(r.code.split(None, 1)) > 1:
        listed = parse(r.code.split(None, 1)[1])[0]
        assert "UTF-8" in [s.upper() for s in listed], r


@pytest.mark.parametrize("criteria", [
    "FROBNICATE", "SINCE 32-Jan-2020x", "SINCE yesterday", "LARGER x", "OR SEEN", "(SEEN", "HEADER X-Custom",
    "KEYWORD", "UID", "NOT", "", "0:2",
])
def test_search_syntax_errors_are_bad(imap, corpus, criteria):
    c = examine(imap, corpus)
    r = c.command(f"SEARCH {criteria}".rstrip())
    assert r.status == "BAD", (criteria, r)
    assert c.command("NOOP").ok


def test_new_old_recent(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.append("INBOX", message(), flags=["\\Seen"]).ok
    assert c.append("INBOX", message()).ok
    c.select("INBOX")
    assert search(c, "RECENT") == [1, 2]
    assert search(c, "NEW") == [2]        # recent and unseen
    assert search(c, "OLD") == []
    assert search(c, "NOT RECENT") == []
    other = imap.connect(acct)
    other.select("INBOX")  # \Recent went to the first session
    assert search(other, "RECENT") == []
    assert search(other, "NEW") == []
    assert search(other, "OLD") == [1, 2]


def test_within_younger_older(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.append("INBOX", message(), date="01-Jan-2020 00:00:00 +0000").ok
    assert c.append("INBOX", message()).ok  # now
    c.select("INBOX")
    assert search(c, "OLDER 86400") == [1]
    assert search(c, "YOUNGER 86400") == [2]
    assert search(c, "YOUNGER 3600 OLDER 1000000000") == []
    assert search(c, "OLDER 1") in ([1], [1, 2])  # the second one may be a second old already
    assert c.command("SEARCH YOUNGER").status == "BAD"
    assert c.command("SEARCH OLDER 0").status == "BAD"  # nz-number


def test_search_with_imaplib(imap, corpus):
    c = imap.imaplib(corpus)
    c.select("INBOX", readonly=True)
    assert c.search(None, "FROM", '"alice"') == ("OK", [b"1 4"])
    assert c.uid("SEARCH", "FLAGGED") == ("OK", [str(corpus.uids[2]).encode()])
    typ, data = c.search("UTF-8", "SUBJECT", "Lunch")
    assert (typ, data) == ("OK", [b"3"])


# --- ESEARCH ---------------------------------------------------------------------------------

def esearch(reply):
    """The ESEARCH response: (tag correlator, uid flag, {MIN/MAX/COUNT/ALL: value})."""
    lines = reply.data("ESEARCH")
    assert len(lines) == 1, reply
    values = parse(lines[0])[1:]
    tag = None
    if values and isinstance(values[0], list):
        assert [str(v).upper() for v in values[0][:1]] == ["TAG"], lines
        tag = values[0][1]
        values = values[1:]
    uid = False
    if values and str(values[0]).upper() == "UID":
        uid = True
        values = values[1:]
    assert len(values) % 2 == 0, lines
    data = {}
    for i in range(0, len(values), 2):
        key = values[i].upper()
        data[key] = parse_sequence_set(str(values[i + 1])) if key == "ALL" else values[i + 1]
    return tag, uid, data


def test_esearch_return_options(imap, corpus):
    c = examine(imap, corpus)
    r = c.ok("SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN")
    assert not r.data("SEARCH"), r  # ESEARCH replaces SEARCH
    tag, uid, data = esearch(r)
    assert tag == r.tag and uid is False, r
    assert data == {"MIN": 3, "MAX": 6, "COUNT": 4, "ALL": [3, 4, 5, 6]}, r
    tag, uid, data = esearch(c.ok("SEARCH RETURN (COUNT) SEEN"))
    assert data == {"COUNT": 2}
    tag, uid, data = esearch(c.ok("SEARCH RETURN (MAX) ALL"))
    assert data == {"MAX": 6}
    # RETURN () means RETURN (ALL).
    tag, uid, data = esearch(c.ok("SEARCH RETURN () OR SEEN FLAGGED"))
    assert data == {"ALL": [1, 2, 3]}
    # Nothing found: only COUNT 0, no MIN/MAX/ALL (RFC 4731 3.1).
    tag, uid, data = esearch(c.ok("SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT nothing-like-this"))
    assert data == {"COUNT": 0}


def test_uid_esearch(imap, corpus):
    c = examine(imap, corpus)
    u = corpus.uids
    r = c.ok("UID SEARCH RETURN (MIN MAX COUNT ALL) SEEN")
    tag, uid, data = esearch(r)
    assert tag == r.tag and uid is True, r
    assert data == {"MIN": u[0], "MAX": u[1], "COUNT": 2, "ALL": [u[0], u[1]]}, r
    r = c.ok("UID SEARCH RETURN (ALL) ALL")
    assert esearch(r)[2] == {"ALL": u}


def test_esearch_bad_return_option(imap, corpus):
    c = examine(imap, corpus)
    assert c.command("SEARCH RETURN (BOGUS) ALL").status == "BAD"
    assert c.command("SEARCH RETURN MIN ALL").status == "BAD"


# --- SEARCHRES -------------------------------------------------------------------------------

def test_searchres_saves_the_result_for_dollar(imap, corpus):
    c = examine(imap, corpus)
    u = corpus.uids
    r = c.ok("SEARCH RETURN (SAVE) FLAGGED")
    # With SAVE alone, no SEARCH or ESEARCH response (RFC 5182 2.1).
    assert not r.data("SEARCH") and not r.data("ESEARCH"), r
    f = c.ok("FETCH $ UID").fetches()
    assert f == {3: {"UID": u[2]}}, f
    r = c.ok("UID SEARCH RETURN (SAVE) SEEN")
    assert not r.data("SEARCH") and not r.data("ESEARCH"), r
    f = c.ok("UID FETCH $ UID").fetches()
    assert set(f) == {1, 2}, f
    # $ in SEARCH itself, combined with other keys.
    assert search(c, "$ ANSWERED") == [2]
    assert search(c, "OR $ FLAGGED") == [1, 2, 3]
    assert search(c, "UID $") == [1, 2]
    # SAVE with MIN: only the minimum is saved; with other options, ESEARCH as usual.
    r = c.ok("SEARCH RETURN (SAVE MIN) UNSEEN")
    assert esearch(r)[2] == {"MIN": 3}, r
    assert set(c.ok("FETCH $ UID").fetches()) == {3}
    r = c.ok("SEARCH RETURN (SAVE COUNT) UNSEEN")
    assert esearch(r)[2] == {"COUNT": 4}, r
    assert set(c.ok("FETCH $ UID").fetches()) == {3, 4, 5, 6}
    # An empty saved result is an empty set, not an error.
    c.ok("SEARCH RETURN (SAVE) SUBJECT nothing-like-this")
    assert c.ok("FETCH $ UID").fetches() == {}


def test_searchres_follows_expunges_and_is_per_mailbox(imap):
    acct = imap.account()
    c = imap.connect(acct)
    for i in range(4):
        assert c.append("INBOX", message(subject=f"m{i}")).ok
    c.select("INBOX")
    c.ok("SEARCH RETURN (SAVE) 2:4")
    c.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
    c.ok("EXPUNGE")
    assert set(c.ok("FETCH $ UID").fetches()) == {2, 3}  # old 2 and old 4
    c.ok("STORE $ +FLAGS.SILENT (\\Flagged)")
    assert search(c, "FLAGGED") == [2, 3]
    # Selecting a mailbox empties $ (RFC 5182 2.1).
    c.select("INBOX")
    assert c.ok("FETCH $ UID").fetches() == {}


# --- SORT ------------------------------------------------------------------------------------
# (internal date, Date header or None, Subject, From, To, Cc or None, body padding)
SORT_CORPUS = [
    ("03-Mar-2021 10:00:00 +0000", "Mon, 1 Mar 2021 10:00:00 +0000", "Re: Banana", "Zed <zed@example.dom>",
     "amy@example.dom", None, 300),
    ("01-Mar-2021 10:00:00 +0000", "Wed, 3 Mar 2021 10:00:00 +0000", "apple", "Mike <mike@example.dom>",
     "zoe@example.dom", "Xavier <cc-x@example.dom>", 3000),
    ("02-Mar-2021 10:00:00 +0000", "Tue, 2 Mar 2021 10:00:00 +0000", "Fwd: cherry", "adam@example.dom",
     "bob@example.dom", "cc-a@example.dom", 100),
    ("04-Mar-2021 10:00:00 +0000", None, "banana", "beth@example.dom", "carl@example.dom", None, 0),
]


@pytest.fixture(scope="module")
def sorter(module_server):
    h = ImapHarness(module_server)
    acct = h.account("sort")
    c = h.connect(acct)
    uids = []
    for internal, date, subject, frm, to, cc, pad in SORT_CORPUS:
        msg = message(subject=subject, frm=frm, to=to, date=date, cc=cc, body="x" * pad + "\r\n")
        r = c.append("INBOX", msg, date=internal)
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    h.close()
    acct.uids = uids
    return acct


def sort(c, criteria, search_keys="ALL", charset="UTF-8", uid=False):
    r = c.command(f"{'UID ' if uid else ''}SORT ({criteria}) {charset} {search_keys}")
    assert r.ok, r
    lines = r.data("SORT")
    assert len(lines) == 1, r
    return [int(w) for w in lines[0].split()[1:]]


SORTS = {
    "ARRIVAL": [2, 3, 1, 4],
    "DATE": [1, 3, 2, 4],          # no Date header: the internal date is the sent date
    "SUBJECT": [2, 1, 4, 3],       # base subjects apple, banana (1 then 4), cherry
    "FROM": [3, 4, 2, 1],          # adam, beth, mike, zed (the mailbox part)
    "TO": [1, 3, 4, 2],            # amy, bob, carl, zoe
    "CC": [1, 4, 3, 2],            # none sorts first: "", "", cc-a, cc-x
    "SIZE": [4, 3, 1, 2],
    "REVERSE SIZE": [2, 1, 3, 4],
    "REVERSE DATE": [4, 2, 3, 1],
    "REVERSE ARRIVAL": [4, 1, 3, 2],
    "SUBJECT REVERSE DATE": [2, 4, 1, 3],
    "REVERSE SUBJECT": [3, 1, 4, 2],   # equal keys stay in sequence order (RFC 5256 3)
    "SUBJECT SIZE": [2, 4, 1, 3],
}


@pytest.mark.parametrize("criteria", list(SORTS))
def test_sort(imap, sorter, criteria):
    c = examine(imap, sorter)
    assert sort(c, criteria) == SORTS[criteria], criteria


def test_sort_with_search_keys_uid_and_charsets(imap, sorter):
    c = examine(imap, sorter)
    u = sorter.uids
    assert sort(c, "ARRIVAL", "NOT FROM zed") == [2, 3, 4]
    assert sort(c, "SIZE", "2:4") == [4, 3, 2]
    assert sort(c, "DATE", "ALL", charset="US-ASCII") == [1, 3, 2, 4]
    assert sort(c, "FROM", uid=True) == [u[2], u[3], u[1], u[0]]
    r = c.ok("SORT (SUBJECT) UTF-8 SUBJECT nothing-like-this")
    assert [l.rstrip() for l in r.data("SORT")] == ["SORT"], r
    assert c.command("SORT (BOGUS) UTF-8 ALL").status == "BAD"
    assert c.command("SORT () UTF-8 ALL").status == "BAD"
    assert c.command("SORT (DATE) ALL").status == "BAD"  # the charset is required
    r = c.command("SORT (DATE) X-NO-SUCH-CHARSET ALL")
    assert r.status == "NO" and r.code.upper().startswith("BADCHARSET"), r


# --- THREAD ----------------------------------------------------------------------------------
# (Message-ID, Subject, In-Reply-To, References, day of March 2022)
THREAD_CORPUS = [
    ("<1@thread>", "Plan", None, None, 1),
    ("<2@thread>", "Re: Plan", "<1@thread>", "<1@thread>", 2),
    ("<3@thread>", "Other topic", None, None, 3),
    ("<4@thread>", "Re: Plan", "<2@thread>", "<1@thread> <2@thread>", 4),
    ("<5@thread>", "Re: Plan", "<1@thread>", "<1@thread>", 5),
    ("<6@thread>", "Re: Other topic", None, None, 6),
    ("<7@thread>", "Re: Lost", "<lost@thread>", "<lost@thread>", 7),
    ("<8@thread>", "Re: Lost", None, "<lost@thread>", 8),
]


@pytest.fixture(scope="module")
def threads(module_server):
    h = ImapHarness(module_server)
    acct = h.account("thread")
    c = h.connect(acct)
    uids = []
    for mid, subject, irt, refs, day in THREAD_CORPUS:
        headers = []
        if irt:
            headers.append(f"In-Reply-To: {irt}")
        if refs:
            headers.append(f"References: {refs}")
        msg = message(subject=subject, message_id=mid, headers=headers,
                      date=f"{day} Mar 2022 10:00:00 +0000", body=f"{subject}\r\n")
        r = c.append("INBOX", msg, date=f"{day:02d}-Mar-2022 10:00:00 +0000")
        assert r.ok, r
        uids.append(int(r.code.split()[2]))
    h.close()
    acct.uids = uids
    return acct


def leaf(n):
    return (n, [])


def test_thread_references(imap, threads):
    c = examine(imap, threads)
    r = c.ok("THREAD REFERENCES UTF-8 ALL")
    assert thread_forest(r) == [
        (1, [(2, [leaf(4)]), leaf(5)]),
        (3, [leaf(6)]),                      # grouped by subject: the reply goes under the original
        (None, [leaf(7), leaf(8)]),          # a missing parent with two children stays as a dummy
    ], r


def test_thread_orderedsubject(imap, threads):
    c = examine(imap, threads)
    r = c.ok("THREAD ORDEREDSUBJECT UTF-8 ALL")
    # RFC 5256 3: the first message by sent date is the parent, the others its children.
    assert thread_forest(r) == [
        (1, [leaf(2), leaf(4), leaf(5)]),
        (3, [leaf(6)]),
        (7, [leaf(8)]),
    ], r


def test_thread_with_search_keys_and_uids(imap, threads):
    c = examine(imap, threads)
    u = threads.uids
    r = c.ok("THREAD REFERENCES UTF-8 SUBJECT plan")
    assert thread_forest(r) == [(1, [(2, [leaf(4)]), leaf(5)])], r
    r = c.ok("UID THREAD ORDEREDSUBJECT UTF-8 SUBJECT topic")
    assert thread_forest(r) == [(u[2], [leaf(u[5])])], r
    r = c.ok("THREAD REFERENCES US-ASCII SUBJECT nothing-like-this")
    assert [l.rstrip() for l in r.data("THREAD")] == ["THREAD"], r
    assert c.command("THREAD X-NOSUCH UTF-8 ALL").status in ("NO", "BAD")
    assert c.command("THREAD REFERENCES ALL").status == "BAD"
    r = c.command("THREAD REFERENCES X-NO-SUCH-CHARSET ALL")
    assert r.status == "NO" and r.code.upper().startswith("BADCHARSET"), r


def test_thread_and_sort_with_imaplib(imap, threads):
    c = imap.imaplib(threads)
    c.select("INBOX", readonly=True)
    typ, data = c.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    assert typ == "OK" and data[0].replace(b" (", b"(") in (b"(1(2)(4)(5))(3 6)(7 8)",), data
    typ, data = c.sort("(ARRIVAL)", "UTF-8", "ALL")
    assert (typ, data) == ("OK", [b"1 2 3 4 5 6 7 8"])
