"""IMAP FETCH (RFC 3501 sections 6.4.5 and 7.4.2): ENVELOPE, BODYSTRUCTURE, BODY, BODY[section]
with partial ranges (HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME, nested parts of a
multipart message and of an encapsulated message), BODY.PEEK and \\Seen, the RFC822 items,
RFC822.SIZE, INTERNALDATE, FLAGS, UID, the ALL / FAST / FULL macros and sequence sets."""

import base64
import re

import pytest

from imap_raw import imap, message, parse, parse_fetch  # noqa: F401

# --- the messages ----------------------------------------------------------------------------

SIMPLE_BODY = "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
SIMPLE_HEADER = ("Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
                 "From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
                 "Subject: afternoon meeting\r\n"
                 "To: mooch@owatagu.siam.edu.example\r\n"
                 "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
                 "MIME-Version: 1.0\r\n"
                 "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n")
SIMPLE = (SIMPLE_HEADER + "\r\n" + SIMPLE_BODY).encode()

P1_H = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
P1_B = "Caf=C3=A9 au lait.\r\nSecond line.\r\n"
ALT1_H = "Content-Type: text/plain; charset=us-ascii\r\n"
ALT1_B = "Plain alternative.\r\n"
ALT2_H = "Content-Type: text/html; charset=us-ascii\r\n"
ALT2_B = "<p>HTML alternative.</p>\r\n"
ALT_B = "--alt\r\n" + ALT1_H + "\r\n" + ALT1_B + "\r\n--alt\r\n" + ALT2_H + "\r\n" + ALT2_B + "\r\n--alt--\r\n"
P2_H = 'Content-Type: multipart/alternative; boundary="alt"\r\n'
P3_H = "Content-Type: message/rfc822\r\n"
INNER_H = ("From: Inner Sender <inner@example.org>\r\n"
           "Subject: inner subject\r\n"
           "Date: Tue, 8 Feb 1994 10:00:00 +0000\r\n"
           "Message-ID: <inner@example.org>\r\n")
INNER_B = "Inner body line 1.\r\nInner body line 2.\r\n"
INNER = INNER_H + "\r\n" + INNER_B
ATTACHMENT = bytes(range(256)) * 2
P4_H = ('Content-Type: application/octet-stream; name="a.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "Content-ID: <att@example.dom>\r\n"
        "Content-Description: A binary\r\n"
        'Content-Disposition: attachment; filename="a.bin"\r\n'
        "Content-Language: en\r\n"
        "Content-Location: http://example.dom/a.bin\r\n")
P4_B = "".join(line + "\r\n" for line in base64.encodebytes(ATTACHMENT).decode().splitlines())
MULTI_HEADER = ("From: Multi Part <multi@example.dom>\r\n"
                "To: Some One <someone@example.dom>, other@example.dom\r\n"
                "Cc: Carbon <cc@example.dom>\r\n"
                "Subject: multipart test\r\n"
                "Date: Wed, 9 Feb 1994 12:00:00 +0100\r\n"
                "Message-ID: <multi@example.dom>\r\n"
                "MIME-Version: 1.0\r\n"
                'Content-Type: multipart/mixed; boundary="mix"\r\n')
MULTI_BODY = ("This is a preamble.\r\n"
              "--mix\r\n" + P1_H + "\r\n" + P1_B +
              "\r\n--mix\r\n" + P2_H + "\r\n" + ALT_B +
              "\r\n--mix\r\n" + P3_H + "\r\n" + INNER +
              "\r\n--mix\r\n" + P4_H + "\r\n" + P4_B +
              "\r\n--mix--\r\nThe epilogue.\r\n")
MULTI = (MULTI_HEADER + "\r\n" + MULTI_BODY).encode()


def lines(text):
    return text.count("\r\n")


def up(value):
    """Strings upper-cased (media types, encodings and parameter names are case-insensitive)."""
    if isinstance(value, list):
        return [up(v) for v in value]
    return value.upper() if isinstance(value, str) else value


def lang(value):
    """body-fld-lang: a string or a list of strings mean the same for one language."""
    return [value] if isinstance(value, str) else value


def assert_ext(actual, expected, what):
    """Extension data: the server may stop early when the rest is NIL (RFC 3501 7.4.2)."""
    assert len(actual) <= len(expected), (what, actual, expected)
    for i, exp in enumerate(expected):
        got = actual[i] if i < len(actual) else None
        if i == 2:  # body-fld-lang
            got, exp = lang(got), lang(exp)
        assert up(got) == up(exp), (what, i, actual, expected)


@pytest.fixture(scope="module")
def mailbox(module_server):
    """One account with SIMPLE (1) and MULTI (2) in INBOX; tests use fresh sessions."""
    from imap_raw import ImapHarness
    h = ImapHarness(module_server)
    acct = h.account("fetch")
    c = h.connect(acct)
    for msg, date in ((SIMPLE, "07-Feb-1994 21:52:25 -0800"), (MULTI, "09-Feb-1994 12:00:00 +0100")):
        r = c.append("INBOX", msg, date=date)
        assert r.ok, r
    h.close()
    return acct


def session(imap, acct, examine=True):
    c = imap.connect(acct)
    c.ok(f"{'EXAMINE' if examine else 'SELECT'} INBOX")
    return c


def fetch1(c, n, items):
    r = c.ok(f"FETCH {n} {items}")
    f = r.fetches()
    assert list(f) == [n], r
    return f[n]


# --- ENVELOPE --------------------------------------------------------------------------------

def test_envelope_of_the_rfc3501_example(imap, mailbox):
    c = session(imap, mailbox)
    env = fetch1(c, 1, "ENVELOPE")["ENVELOPE"]
    fred = [["Fred Foobar", None, "foobar", "Blurdybloop.example"]]
    assert env == [
        "Mon, 7 Feb 1994 21:52:25 -0800 (PST)", "afternoon meeting",
        fred, fred, fred,  # Sender and Reply-To default to From (RFC 3501 7.4.2)
        [[None, None, "mooch", "owatagu.siam.edu.example"]],
        None, None, None, "<B27397-0100000@Blurdybloop.example>",
    ], env


def test_envelope_of_the_multipart_message(imap, mailbox):
    c = session(imap, mailbox)
    env = fetch1(c, 2, "ENVELOPE")["ENVELOPE"]
    multi = [["Multi Part", None, "multi", "example.dom"]]
    assert env == [
        "Wed, 9 Feb 1994 12:00:00 +0100", "multipart test", multi, multi, multi,
        [["Some One", None, "someone", "example.dom"], [None, None, "other", "example.dom"]],
        [["Carbon", None, "cc", "example.dom"]], None, None, "<multi@example.dom>",
    ], env


def test_envelope_fields_groups_and_encoded_words(imap):
    acct = imap.account()
    c = imap.connect(acct)
    msg = ("Date: Thu, 1 Jan 2015 00:00:00 +0000\r\n"
           "From: \"Doe, John\" <john@example.dom>\r\n"
           "Sender: Secretary <sec@example.dom>\r\n"
           "Reply-To: replies@example.dom\r\n"
           "To: Friends: a@example.dom, \"B B\" <b@example.dom>;, undisclosed-recipients:;\r\n"
           "Cc: =?UTF-8?B?SsO8cmdlbg==?= <j@example.dom>\r\n"
           "Bcc: hidden@example.dom\r\n"
           "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and more\r\n"
           "In-Reply-To: <parent@example.dom>\r\n"
           "Message-ID: <child@example.dom>\r\n"
           "\r\nbody\r\n").encode()
    assert c.append("INBOX", msg).ok
    bare = b"Subject: \r\n\r\nno addresses\r\n"
    assert c.append("INBOX", bare).ok
    c.ok("EXAMINE INBOX")
    env = fetch1(c, 1, "ENVELOPE")["ENVELOPE"]
    # An encoded word in a display name may come back re-encoded: it must mean the same.
    [[name, *cc_rest]] = env[6]
    assert decoded(name) == "Jürgen" and name.isascii(), env[6]
    env[6] = [["=?UTF-8?B?SsO8cmdlbg==?=", *cc_rest]]
    assert env == [
        "Thu, 1 Jan 2015 00:00:00 +0000",
        "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and more",  # not decoded
        [["Doe, John", None, "john", "example.dom"]],
        [["Secretary", None, "sec", "example.dom"]],
        [[None, None, "replies", "example.dom"]],
        # Groups: a start marker (NIL NIL name NIL), the members, an end marker of NILs.
        [[None, None, "Friends", None], [None, None, "a", "example.dom"], ["B B", None, "b", "example.dom"],
         [None, None, None, None], [None, None, "undisclosed-recipients", None], [None, None, None, None]],
        [["=?UTF-8?B?SsO8cmdlbg==?=", None, "j", "example.dom"]],
        [[None, None, "hidden", "example.dom"]],
        "<parent@example.dom>", "<child@example.dom>",
    ], env
    env = fetch1(c, 2, "ENVELOPE")["ENVELOPE"]
    # Missing fields are NIL; an empty Subject is an empty string (or NIL).
    assert env[0] is None and env[1] in ("", None) and env[2:] == [None] * 8, env


def decoded(text):
    from email.header import decode_header, make_header
    return str(make_header(decode_header(text)))


# --- BODYSTRUCTURE / BODY --------------------------------------------------------------------

def text_part(subtype, charset, encoding, body, ext=None):
    basic = ["TEXT", subtype, ["CHARSET", charset], None, None, encoding, len(body), lines(body)]
    return basic, ext or [None, None, None, None]


def assert_text(actual, subtype, charset, encoding, body, ext=None, extensible=True):
    basic, extension = text_part(subtype, charset, encoding, body, ext)
    assert up(actual[:8]) == up(basic), (actual, basic)
    if extensible:
        assert_ext(actual[8:], extension, f"text/{subtype}")
    else:
        assert len(actual) == 8, actual


def test_bodystructure_of_a_single_part_message(imap, mailbox):
    c = session(imap, mailbox)
    f = fetch1(c, 1, "(BODYSTRUCTURE BODY)")
    assert_text(f["BODYSTRUCTURE"], "PLAIN", "US-ASCII", "7BIT", SIMPLE_BODY)
    assert_text(f["BODY"], "PLAIN", "US-ASCII", "7BIT", SIMPLE_BODY, extensible=False)


def check_multipart(bs, extensible):
    assert isinstance(bs, list) and len(bs) >= 5, bs
    p1, p2, p3, p4 = bs[:4]
    assert up(bs[4]) == "MIXED", bs
    if extensible:
        assert_ext(bs[5:], [["BOUNDARY", "mix"], None, None, None], "multipart/mixed")
    else:
        assert len(bs) == 5, bs
    assert_text(p1, "PLAIN", "UTF-8", "QUOTED-PRINTABLE", P1_B, extensible=extensible)
    # multipart/alternative inside.
    assert isinstance(p2[0], list) and isinstance(p2[1], list) and up(p2[2]) == "ALTERNATIVE", p2
    assert_text(p2[0], "PLAIN", "US-ASCII", "7BIT", ALT1_B, extensible=extensible)
    assert_text(p2[1], "HTML", "US-ASCII", "7BIT", ALT2_B, extensible=extensible)
    if extensible:
        assert_ext(p2[3:], [["BOUNDARY", "alt"], None, None, None], "multipart/alternative")
    else:
        assert len(p2) == 3, p2
    # message/rfc822: basic fields, the envelope, the inner body, its lines.
    assert up(p3[:7]) == ["MESSAGE", "RFC822", None, None, None, "7BIT", len(INNER)], p3
    inner = [["Inner Sender", None, "inner", "example.org"]]
    assert p3[7] == ["Tue, 8 Feb 1994 10:00:00 +0000", "inner subject", inner, inner, inner, None, None, None, None,
                     "<inner@example.org>"], p3[7]
    # No Content-Type: text/plain; charset=us-ascii (RFC 2045 5.2).
    assert_text(p3[8], "PLAIN", "US-ASCII", "7BIT", INNER_B, extensible=extensible)
    assert p3[9] == lines(INNER), p3
    if extensible:
        assert_ext(p3[10:], [None, None, None, None], "message/rfc822")
    else:
        assert len(p3) == 10, p3
    # application/octet-stream with every field set.
    assert up(p4[:7]) == up(["APPLICATION", "OCTET-STREAM", ["NAME", "a.bin"], "<att@example.dom>", "A binary",
                             "BASE64", len(P4_B)]), p4
    assert p4[3] == "<att@example.dom>" and p4[4] == "A binary", p4
    if extensible:
        assert p4[7] is None, p4  # MD5
        assert up(p4[8]) == ["ATTACHMENT", ["FILENAME", "A.BIN"]], p4
        assert up(lang(p4[9])) == ["EN"], p4
        assert p4[10] == "http://example.dom/a.bin", p4
    else:
        assert len(p4) == 7, p4


def test_bodystructure_of_a_multipart_message(imap, mailbox):
    c = session(imap, mailbox)
    check_multipart(fetch1(c, 2, "BODYSTRUCTURE")["BODYSTRUCTURE"], extensible=True)


def test_body_is_bodystructure_without_extension_data(imap, mailbox):
    c = session(imap, mailbox)
    check_multipart(fetch1(c, 2, "BODY")["BODY"], extensible=False)


# --- BODY[section] ---------------------------------------------------------------------------

MULTI_SECTIONS = {
    "": MULTI.decode(),
    "HEADER": MULTI_HEADER + "\r\n",
    "TEXT": MULTI_BODY,
    "1": P1_B,
    "1.MIME": P1_H + "\r\n",
    "2": ALT_B,
    "2.MIME": P2_H + "\r\n",
    "2.1": ALT1_B,
    "2.1.MIME": ALT1_H + "\r\n",
    "2.2": ALT2_B,
    "3": INNER,
    "3.MIME": P3_H + "\r\n",
    "3.HEADER": INNER_H + "\r\n",
    "3.TEXT": INNER_B,
    "3.1": INNER_B,
    "3.HEADER.FIELDS (SUBJECT)": "Subject: inner subject\r\n\r\n",
    "4": P4_B,
    "4.MIME": P4_H + "\r\n",
}


@pytest.mark.parametrize("section", list(MULTI_SECTIONS))
def test_body_sections_of_the_multipart_message(imap, mailbox, section):
    c = session(imap, mailbox)
    f = fetch1(c, 2, f"BODY.PEEK[{section}]")
    key = f"BODY[{section}]"
    assert key in f, f.keys()
    assert f[key] == MULTI_SECTIONS[section], (section, f[key][:300])


SIMPLE_SECTIONS = {
    "": SIMPLE.decode(),
    "HEADER": SIMPLE_HEADER + "\r\n",
    "TEXT": SIMPLE_BODY,
    "1": SIMPLE_BODY,  # a non-multipart message has a part 1: its body
    "HEADER.FIELDS (FROM SUBJECT)": "From: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\n\r\n",
    # Field names are case-insensitive; the lines come in the message's order.
    "HEADER.FIELDS (subject FROM)": "From: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\n\r\n",
    "HEADER.FIELDS (X-NOT-THERE)": "\r\n",
    "HEADER.FIELDS.NOT (DATE FROM TO MESSAGE-ID MIME-VERSION)":
        "Subject: afternoon meeting\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n",
}


@pytest.mark.parametrize("section", list(SIMPLE_SECTIONS))
def test_body_sections_of_a_simple_message(imap, mailbox, section):
    c = session(imap, mailbox)
    f = fetch1(c, 1, f"BODY.PEEK[{section}]")
    key = f"BODY[{section.upper()}]"
    assert key in f, f.keys()
    assert f[key] == SIMPLE_SECTIONS[section], (section, f[key])


def test_header_fields_keep_folding_and_repeats(imap):
    acct = imap.account()
    c = imap.connect(acct)
    msg = (b"Received: from a by b; Mon, 1 Jan 2001 00:00:00 +0000\r\n"
           b"Subject: a folded\r\n subject line\r\n"
           b"Received: from c by d;\r\n\tMon, 1 Jan 2001 00:00:01 +0000\r\n"
           b"X-Empty:\r\n"
           b"\r\nbody\r\n")
    assert c.append("INBOX", msg).ok
    c.ok("EXAMINE INBOX")
    f = fetch1(c, 1, "BODY.PEEK[HEADER.FIELDS (RECEIVED X-EMPTY)]")
    assert f["BODY[HEADER.FIELDS (RECEIVED X-EMPTY)]"] == (
        "Received: from a by b; Mon, 1 Jan 2001 00:00:00 +0000\r\n"
        "Received: from c by d;\r\n\tMon, 1 Jan 2001 00:00:01 +0000\r\n"
        "X-Empty:\r\n\r\n"), f
    f = fetch1(c, 1, "BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED X-EMPTY)]")
    assert f["BODY[HEADER.FIELDS.NOT (RECEIVED X-EMPTY)]"] == "Subject: a folded\r\n subject line\r\n\r\n", f


def test_partial_fetches(imap, mailbox):
    c = session(imap, mailbox)
    whole = SIMPLE.decode()
    f = fetch1(c, 1, "BODY.PEEK[]<0.20>")
    assert f["BODY[]<0>"] == whole[:20], f
    f = fetch1(c, 1, "BODY.PEEK[]<100.30>")
    assert f["BODY[]<100>"] == whole[100:130], f
    f = fetch1(c, 1, "BODY.PEEK[TEXT]<6.3>")
    assert f["BODY[TEXT]<6>"] == SIMPLE_BODY[6:9], f
    # A range running past the end gives what there is; a start past the end an empty string.
    f = fetch1(c, 1, f"BODY.PEEK[]<{len(whole) - 5}.100>")
    assert f[f"BODY[]<{len(whole) - 5}>"] == whole[-5:], f
    f = fetch1(c, 1, f"BODY.PEEK[]<{len(whole) + 10}.5>")
    assert f[f"BODY[]<{len(whole) + 10}>"] == "", f
    f = fetch1(c, 1, "BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.7>")
    assert f["BODY[HEADER.FIELDS (SUBJECT)]<0>"] == "Subject", f
    c2 = session(imap, mailbox)
    f = fetch1(c2, 2, "BODY.PEEK[2.1]<6.11>")
    assert f["BODY[2.1]<6>"] == ALT1_B[6:17], f


def test_rfc822_items(imap, mailbox):
    c = session(imap, mailbox)
    f = fetch1(c, 2, "(RFC822.HEADER RFC822.TEXT RFC822.SIZE)")
    assert f["RFC822.HEADER"] == MULTI_HEADER + "\r\n"
    assert f["RFC822.TEXT"] == MULTI_BODY
    assert f["RFC822.SIZE"] == len(MULTI)
    f = fetch1(c, 1, "RFC822")
    assert f["RFC822"] == SIMPLE.decode()


def test_internaldate_flags_uid_size(imap, mailbox):
    c = session(imap, mailbox)
    f = c.ok("FETCH 1:2 (INTERNALDATE FLAGS UID RFC822.SIZE)").fetches()
    assert all(re.fullmatch(r"[ \d]\d-Feb-1994 \d\d:\d\d:\d\d [+-]\d{4}", x["INTERNALDATE"]) for x in f.values()), f
    import datetime
    parse_date = lambda s: datetime.datetime.strptime(s.strip(), "%d-%b-%Y %H:%M:%S %z")  # noqa: E731
    assert parse_date(f[1]["INTERNALDATE"]) == parse_date("07-Feb-1994 21:52:25 -0800")
    assert parse_date(f[2]["INTERNALDATE"]) == parse_date("09-Feb-1994 12:00:00 +0100")
    assert f[1]["RFC822.SIZE"] == len(SIMPLE) and f[2]["RFC822.SIZE"] == len(MULTI)
    assert isinstance(f[1]["FLAGS"], list) and "\\Seen" not in f[1]["FLAGS"]
    assert isinstance(f[1]["UID"], int) and f[2]["UID"] > f[1]["UID"]


def test_macros_all_fast_full(imap, mailbox):
    c = session(imap, mailbox)
    assert set(fetch1(c, 1, "ALL")) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}
    assert set(fetch1(c, 1, "FAST")) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}
    full = fetch1(c, 2, "FULL")
    assert set(full) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}
    check_multipart(full["BODY"], extensible=False)
    assert full["RFC822.SIZE"] == len(MULTI) and full["ENVELOPE"][1] == "multipart test"


def test_uid_fetch_always_includes_uid_and_star_rules(imap, mailbox):
    c = session(imap, mailbox)
    f = c.ok("FETCH 1:2 UID").fetches()
    u1, u2 = f[1]["UID"], f[2]["UID"]
    r = c.ok(f"UID FETCH {u2} FLAGS")
    assert r.fetches() == {2: {"UID": u2, "FLAGS": r.fetches()[2]["FLAGS"]}}, r
    # n:* with n above every UID still names the last message (RFC 3501 6.4.8).
    r = c.ok(f"UID FETCH {u2 + 1000}:* UID")
    assert r.fetches() == {2: {"UID": u2}}, r
    # A UID that does not exist is no error: just no data.
    r = c.ok(f"UID FETCH {u2 + 1000} UID")
    assert r.fetches() == {}, r
    r = c.ok(f"UID FETCH {u1}:{u2} RFC822.SIZE")
    assert set(r.fetches()) == {1, 2} and all("UID" in x for x in r.fetches().values()), r


def test_sequence_sets(imap, mailbox):
    c = session(imap, mailbox)
    assert set(c.ok("FETCH 1:* UID").fetches()) == {1, 2}
    assert set(c.ok("FETCH * UID").fetches()) == {2}
    assert set(c.ok("FETCH *:1 UID").fetches()) == {1, 2}
    assert set(c.ok("FETCH 2,1 UID").fetches()) == {1, 2}
    assert set(c.ok("FETCH 2:2,1 UID").fetches()) == {1, 2}
    for bad in ("FETCH 0 UID", "FETCH 1:0 UID", "FETCH a UID", "FETCH 1 (UID", "FETCH 1 NOSUCHITEM", "FETCH 1 BODY[4.X]"):
        assert c.command(bad).status == "BAD", bad
    assert c.command("FETCH 3 UID").status in ("NO", "BAD")  # no message 3
    assert c.command("NOOP").ok


# --- \Seen -----------------------------------------------------------------------------------

def seen(c, n):
    return "\\Seen" in fetch1(c, n, "FLAGS")["FLAGS"]


@pytest.mark.parametrize("item,sets", [
    ("BODY.PEEK[]", False), ("BODY.PEEK[TEXT]", False), ("BODY.PEEK[HEADER]", False), ("RFC822.HEADER", False),
    ("RFC822.SIZE", False), ("ENVELOPE", False), ("BODYSTRUCTURE", False),
    ("BODY[]", True), ("BODY[TEXT]", True), ("BODY[HEADER]", True), ("BODY[1]", True), ("BODY[]<0.10>", True),
    ("RFC822", True), ("RFC822.TEXT", True),
])
def test_which_items_set_seen(imap, item, sets):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.append("INBOX", message()).ok
    c.select("INBOX")
    r = c.ok(f"FETCH 1 {item}")
    if sets:
        # The change is reported (in this FETCH response, or as a FETCH FLAGS by the next command).
        flags = r.fetches()[1].get("FLAGS")
        if flags is not None:
            assert "\\Seen" in flags, r
    assert seen(c, 1) is sets, item
    # And it is stored: another session agrees.
    other = imap.connect(acct)
    other.ok("EXAMINE INBOX")
    assert seen(other, 1) is sets


def test_body_peek_in_examine_never_sets_seen(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.append("INBOX", message()).ok
    c.ok("EXAMINE INBOX")
    c.ok("FETCH 1 (BODY[] RFC822 RFC822.TEXT)")
    assert not seen(c, 1)


def test_fetch_with_imaplib(imap, mailbox):
    c = imap.imaplib(mailbox)
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    assert data[0][1] == b"Subject: afternoon meeting\r\n\r\n", data
    typ, data = c.fetch("2", "(BODY.PEEK[3.TEXT])")
    assert data[0][1] == INNER_B.encode(), data


# --- an encapsulated multipart message -------------------------------------------------------

N_INNER_1 = "plain inner\r\n"
N_INNER_2 = "<b>html inner</b>\r\n"
N_INNER_BODY = ("--inner\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + N_INNER_1 +
                "\r\n--inner\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" + N_INNER_2 + "\r\n--inner--\r\n")
N_INNER_HEADER = ("From: fw@example.org\r\nSubject: forwarded\r\nMIME-Version: 1.0\r\n"
                  'Content-Type: multipart/alternative; boundary="inner"\r\n')
N_INNER = N_INNER_HEADER + "\r\n" + N_INNER_BODY
N_COVER = "Cover note.\r\n"
NESTED = ("From: me@example.dom\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
          'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
          "--outer\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + N_COVER +
          "\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n" + N_INNER +
          "\r\n--outer--\r\n").encode()

NESTED_SECTIONS = {
    "1": N_COVER,
    "2": N_INNER,
    "2.MIME": "Content-Type: message/rfc822\r\n\r\n",
    "2.HEADER": N_INNER_HEADER + "\r\n",
    "2.HEADER.FIELDS (SUBJECT)": "Subject: forwarded\r\n\r\n",
    "2.TEXT": N_INNER_BODY,
    "2.1": N_INNER_1,                      # the parts of the encapsulated multipart
    "2.1.MIME": "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
    "2.2": N_INNER_2,
    "2.2.MIME": "Content-Type: text/html; charset=us-ascii\r\n\r\n",
}


def test_an_encapsulated_multipart_message(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert c.append("INBOX", NESTED).ok
    c.ok("EXAMINE INBOX")
    for section, expected in NESTED_SECTIONS.items():
        f = fetch1(c, 1, f"BODY.PEEK[{section}]")
        assert f[f"BODY[{section}]"] == expected, (section, f)
    bs = fetch1(c, 1, "BODYSTRUCTURE")["BODYSTRUCTURE"]
    assert_text(bs[0], "PLAIN", "US-ASCII", "7BIT", N_COVER)
    msg = bs[1]
    assert up(msg[:7]) == ["MESSAGE", "RFC822", None, None, None, "7BIT", len(N_INNER)], msg
    assert msg[7][1] == "forwarded" and msg[7][2] == [[None, None, "fw", "example.org"]], msg[7]
    inner = msg[8]
    assert up(inner[2]) == "ALTERNATIVE", inner
    assert_text(inner[0], "PLAIN", "US-ASCII", "7BIT", N_INNER_1)
    assert_text(inner[1], "HTML", "US-ASCII", "7BIT", N_INNER_2)
    assert msg[9] == lines(N_INNER), msg
    assert up(bs[2]) == "MIXED", bs


# --- BODYSTRUCTURE agrees with BODY[section] -------------------------------------------------

def walk(bs, prefix=""):
    """(section, body structure) of every leaf part, numbered as RFC 3501 6.4.5 does."""
    if isinstance(bs[0], list):  # multipart: parts, then the subtype
        n = 0
        for part in bs:
            if not isinstance(part, list):
                break
            n += 1
            yield from walk(part, f"{prefix}{n}" if not prefix else f"{prefix}.{n}")
        return
    section = prefix or "1"
    yield section, bs
    if up(bs[0]) == "MESSAGE" and up(bs[1]) == "RFC822":
        inner = bs[8]
        if isinstance(inner[0], list):
            yield from walk(inner, section)
        else:
            yield f"{section}.1", inner


ODD_PARTS = ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
             "--b\r\nContent-Type: text/plain\r\n\r\nno newline before the boundary\r\n"
             "--b\r\n\r\npart without a header\r\n\r\n"
             "--b\r\nContent-Type: text/plain\r\n\r\n\r\n"
             "--b--\r\n").encode()

CONSISTENCY = {
    "multipart": MULTI,
    "multipart, LF": MULTI.replace(b"\r\n", b"\n"),
    "nested": NESTED,
    "nested, LF": NESTED.replace(b"\r\n", b"\n"),
    "simple, LF": SIMPLE.replace(b"\r\n", b"\n"),
    "odd parts": ODD_PARTS,
}


@pytest.mark.parametrize("name", list(CONSISTENCY))
def test_bodystructure_sizes_and_lines_match_the_sections(imap, name):
    acct = imap.account()
    c = imap.connect(acct)
    data = CONSISTENCY[name]
    assert c.append("INBOX", data).ok
    c.ok("EXAMINE INBOX")
    bs = fetch1(c, 1, "BODYSTRUCTURE")["BODYSTRUCTURE"]
    checked = 0
    for section, part in walk(bs):
        content = fetch1(c, 1, f"BODY.PEEK[{section}]")[f"BODY[{section}]"]
        size = part[6]
        assert size == len(content), (name, section, part, content)
        if up(part[0]) == "TEXT":
            lines_field = part[7]
        elif up(part[0]) == "MESSAGE" and up(part[1]) == "RFC822":
            lines_field = part[9]
        else:
            lines_field = None
        if lines_field is not None and (content.endswith("\n") or content == ""):
            assert lines_field == content.count("\n"), (name, section, part, content)
        checked += 1
    assert checked >= 1
    whole = fetch1(c, 1, "(RFC822.SIZE BODY.PEEK[])")
    assert whole["RFC822.SIZE"] == len(data) and whole["BODY[]"].encode("latin-1") == data
