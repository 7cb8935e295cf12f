"""IMAP and XIMSS on the same mailboxes: a message appended over XIMSS is fetched over IMAP byte
for byte (BODY[], its HEADER and TEXT, RFC822.SIZE), a message APPENDed over IMAP is read over
XIMSS byte for byte (the session's MIME URL) and as a parsed message (folderRead, the view's
fields), and flags move both ways: STORE over IMAP shows in XIMSS views (notify, folderSync,
folderBrowse), messageMark over XIMSS shows over IMAP (FETCH FLAGS, and unsolicited FETCH to a
session that has the mailbox selected, after NOOP, during IDLE, with MODSEQ under CONDSTORE).
"""

import base64
import email
import email.policy
import re

import pytest

from http_client import XimssHttpClient
from imap_clients_support import RawImap, append, fetch_body, fetch_lines, message, parse_flags
from ximss_client import escape_text

USER, PASSWORD = "cross@example.dom", "cross-pw-1"
ATTACHMENT = bytes(range(256)) * 64

COMPOSED = (
    '<EMail><From realName="Web Writer">cross@example.dom</From><To>friend@example.org</To>'
    "<Subject>Grüße über XIMSS</Subject><X-Mailer>cross-protocol test</X-Mailer>"
    '<MIME type="multipart" subtype="mixed">'
    '<MIME type="text" subtype="plain" charset="utf-8">Hallo,\nGrüße aus Köln.\n</MIME>'
    '<MIME type="application" subtype="octet-stream" disposition="attachment" disposition-filename="blob.bin">'
    f"{base64.b64encode(ATTACHMENT).decode()}</MIME>"
    "</MIME></EMail>")


@pytest.fixture
def ximss(server):
    server.add_account(USER, PASSWORD)
    return server.login(USER, PASSWORD)


@pytest.fixture
def web():
    made = []

    def make(srv, ximss_session):
        """An HTTP client on the XIMSS TCP session's URLs (its urlID)."""
        c = XimssHttpClient(srv.host, srv.http_port)
        c.url_id = ximss_session.url_id
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def stored_blob(server, uid, mailbox="INBOX"):
    [(blob,)] = server.store_query(
        "SELECT msg.blob_id FROM messages msg JOIN mailboxes m ON m.id = msg.mailbox_id "
        "JOIN accounts a ON a.id = m.account_id WHERE a.name = ? AND m.name = ? AND msg.uid = ?",
        (USER.split("@")[0], mailbox, uid))
    return server.blob_path(blob).read_bytes()


def ximss_append(client, subject=None, flags=None, email=None):
    email = email or (f"<EMail><From>someone@example.org</From><Subject>{escape_text(subject)}</Subject>"
                      f'<MIME type="text" subtype="plain">body of {escape_text(subject)}\n</MIME></EMail>')
    r = client.request("messageAppend", {"targetMailbox": "INBOX", "flags": flags, "report": "uid"}, body=email)
    assert r.ok, r
    return int(r.first("messageAdded").get("UID"))


def open_view(client, folder="INBOX", fields=("UID", "FLAGS", "Subject")):
    r = client.request("folderOpen", {"folder": folder, "mailbox": "INBOX"},
                       body="".join(f"<field>{f}</field>" for f in fields))
    assert r.ok, r
    return r.first("folderReport")


def browse(client, folder="INBOX"):
    r = client.request("folderBrowse", {"folder": folder}, body='<index from="0" till="100000"/>')
    assert r.ok, r
    return {int(m.get("UID")): m for m in r.data}


def ximss_flags(text):
    return frozenset(f for f in (text or "").split(",") if f)


def mark(client, uid, flags, folder="INBOX"):
    r = client.request("messageMark", {"folder": folder, "flags": flags}, body=f"<UID>{uid}</UID>")
    assert r.ok, r


def imap_flags(server, uid):
    conn = server.imap(USER, PASSWORD)
    try:
        assert conn.select("INBOX", readonly=True)[0] == "OK"
        typ, data = conn.uid("FETCH", str(uid), "(FLAGS)")
        assert typ == "OK" and len(data) == 1 and data[0], data
        return parse_flags(data[0]) - {"\\Recent"}
    finally:
        conn.logout()


def raw_session(server, *setup):
    """A RawImap logged in as the user with INBOX selected (after the `setup` commands)."""
    c = RawImap(server.host, server.imap_port)
    c.login(USER, PASSWORD)
    for command in setup:
        c.command(command)
    c.command("SELECT INBOX")
    return c


def seq_of(conn, uid):
    """The message sequence number of `uid` in a RawImap session."""
    untagged, _ = conn.command(f"SEARCH UID {uid}")
    [line] = [l for l in untagged if l.startswith(b"* SEARCH")]
    [seq] = line.split()[2:]
    return int(seq)


# --- message bytes ----------------------------------------------------------------------------------

def test_message_appended_over_ximss_is_fetched_byte_identical_over_imap(server, ximss, web):
    uid = ximss_append(ximss, flags="Seen,Flagged", email=COMPOSED)
    blob = stored_blob(server, uid)
    conn = server.imap(USER, PASSWORD)
    assert conn.select("INBOX")[0] == "OK"
    body = fetch_body(conn, uid, "BODY.PEEK[]")
    assert body == blob
    typ, data = conn.uid("FETCH", str(uid), "(RFC822.SIZE FLAGS)")
    assert typ == "OK", data
    assert int(re.search(rb"RFC822\.SIZE (\d+)", data[0]).group(1)) == len(body)
    assert parse_flags(data[0]) - {"\\Recent"} == {r"\Seen", r"\Flagged"}
    head, text = fetch_body(conn, uid, "BODY.PEEK[HEADER]"), fetch_body(conn, uid, "BODY.PEEK[TEXT]")
    assert head + text == body
    parsed = email.message_from_bytes(body, policy=email.policy.default)
    assert parsed["Subject"] == "Grüße über XIMSS", head
    assert b"X-Mailer: cross-protocol test" in head
    # RFC822 (not PEEK) returns the same bytes.
    typ, data = conn.uid("FETCH", str(uid), "(RFC822)")
    assert typ == "OK" and data[0][1] == body, data
    # The XIMSS side serves the same bytes at its MIME URL.
    open_view(ximss)
    raw = web(server, ximss).mime("INBOX", uid, suffix="P.txt")
    assert raw.status == 200 and raw.body == body, raw
    # The attachment decodes to what was sent.
    parts = [p for p in parsed.walk() if p.get_filename() == "blob.bin"]
    assert len(parts) == 1 and parts[0].get_payload(decode=True) == ATTACHMENT


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"], ids=["crlf", "lf"])
def test_message_appended_over_imap_is_read_byte_identical_over_ximss(server, ximss, web, line_end):
    blob_text = base64.encodebytes(ATTACHMENT).decode()
    data = message("Sent over IMAP", "--b1\nContent-Type: text/plain; charset=utf-8\n"
                   "Content-Transfer-Encoding: 8bit\n\nGrüße über IMAP.\n"
                   "--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
                   "Content-Disposition: attachment; filename=blob.bin\n\n" + blob_text + "--b1--\n",
                   extra_headers=["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"'],
                   line_end=line_end)
    conn = server.imap(USER, PASSWORD)
    uid = append(conn, "INBOX", data, [r"\Answered", "$Junk"], date="01-Feb-2024 12:34:56 +0100")

    open_view(ximss, fields=("UID", "FLAGS", "Subject", "INTERNALDATE", "SIZE"))
    row = browse(ximss)[uid]
    assert row.findtext("Subject") == "Sent over IMAP"
    assert ximss_flags(row.findtext("FLAGS")) == {"Answered", "Junk"}
    assert row.findtext("INTERNALDATE") == "20240201T113456Z"
    assert int(row.findtext("SIZE")) == len(data)
    # The whole message at the session's MIME URL: exactly the APPENDed bytes.
    raw = web(server, ximss).mime("INBOX", uid, suffix="P.txt")
    assert raw.status == 200 and raw.body == data, raw
    assert stored_blob(server, uid) == data
    # folderRead parses it: the text part's content and the attachment's part.
    r = ximss.request("folderRead", {"folder": "INBOX", "UID": str(uid)})
    assert r.ok, r
    top = r.first("folderMessage").find("EMail/MIME")
    text_part, attachment = list(top)
    # (The line break before a boundary belongs to the boundary.)
    assert text_part.text == "Grüße über IMAP.", text_part.text
    assert text_part.get("partID") == "01" and attachment.get("partID") == "02"
    assert attachment.get("disposition") == "attachment" and attachment.text is None
    part = web(server, ximss).mime("INBOX", uid, attachment.get("partID"), "B.bin")
    assert part.status == 200 and part.body == ATTACHMENT, part
    # And IMAP gives back the same bytes and size.
    assert conn.select("INBOX")[0] == "OK"
    assert fetch_body(conn, uid) == data
    typ, size = conn.uid("FETCH", str(uid), "(RFC822.SIZE)")
    assert int(re.search(rb"RFC822\.SIZE (\d+)", size[0]).group(1)) == len(data)


# --- flags ----------------------------------------------------------------------------------------------

def test_flags_stored_over_imap_show_in_ximss(server, ximss):
    first = ximss_append(ximss, "first")
    second = ximss_append(ximss, "second", flags="Seen")
    open_view(ximss)
    table = browse(ximss)
    assert ximss_flags(table[first].findtext("FLAGS")) == set()
    assert ximss_flags(table[second].findtext("FLAGS")) == {"Seen"}

    conn = server.imap(USER, PASSWORD)
    assert conn.select("INBOX")[0] == "OK"
    assert conn.uid("STORE", str(first), "+FLAGS", r"(\Flagged $Junk)")[0] == "OK"
    assert conn.uid("STORE", str(second), "-FLAGS", r"(\Seen)")[0] == "OK"
    assert conn.uid("STORE", str(second), "+FLAGS.SILENT", r"(\Answered)")[0] == "OK"

    # The view is told, and folderSync reports both messages updated with their new flags.
    notify = ximss.wait_async("folderReport", timeout=10)
    assert notify.get("mode") == "notify" and notify.get("folder") == "INBOX", notify.attrib
    r = ximss.request("folderSync", {"folder": "INBOX"})
    assert r.ok, r
    updated = {int(m.get("UID")): ximss_flags(m.findtext("FLAGS")) for m in r.data if m.get("mode") == "updated"}
    assert updated == {first: {"Flagged", "Junk"}, second: {"Answered"}}, r
    table = browse(ximss)
    assert ximss_flags(table[first].findtext("FLAGS")) == {"Flagged", "Junk"}
    assert ximss_flags(table[second].findtext("FLAGS")) == {"Answered"}
    # \Deleted and EXPUNGE over IMAP: the message leaves the view at the next folderSync.
    assert conn.uid("STORE", str(first), "+FLAGS", r"(\Deleted)")[0] == "OK"
    assert conn.expunge()[0] == "OK"
    ximss.wait_async("folderReport", timeout=10)
    r = ximss.request("folderSync", {"folder": "INBOX"})
    assert [(m.get("mode"), m.get("UID")) for m in r.data] == [("removed", str(first))], r
    assert list(browse(ximss)) == [second]


def test_flags_marked_over_ximss_show_over_imap(server, ximss):
    first = ximss_append(ximss, "first")
    second = ximss_append(ximss, "second")
    open_view(ximss)
    selected = raw_session(server)
    seq1, seq2 = seq_of(selected, first), seq_of(selected, second)

    # A plain FETCH in a new session.
    mark(ximss, first, "Flagged")
    assert imap_flags(server, first) == {r"\Flagged"}
    # The selected session learns of it at its next command (NOOP) as an unsolicited FETCH.
    untagged, _ = selected.command("NOOP")
    [update] = fetch_lines(untagged, seq1)
    assert parse_flags(update) - {"\\Recent"} == {r"\Flagged"}, untagged
    assert re.search(rb"UID %d\b" % first, update), update

    # During IDLE the FETCH arrives at once, without a command.
    selected.send(b"I1 IDLE")
    assert selected.read_response_line().startswith(b"+"), "no continuation for IDLE"
    mark(ximss, second, "Seen,Answered")
    line = selected.read_response_line()
    while not re.match(rb"^\* %d FETCH \(" % seq2, line):
        assert line.startswith(b"* "), line  # other untagged data may come first
        line = selected.read_response_line()
    assert parse_flags(line) - {"\\Recent"} == {r"\Seen", r"\Answered"}, line
    # Clearing a flag and a keyword-backed flag over XIMSS.
    mark(ximss, first, "Unflagged,Junk")
    line = selected.read_response_line()
    while not re.match(rb"^\* %d FETCH \(" % seq1, line):
        assert line.startswith(b"* "), line
        line = selected.read_response_line()
    assert parse_flags(line) - {"\\Recent"} == {"$Junk"}, line
    # A new message over XIMSS: EXISTS during IDLE.
    ximss_append(ximss, "third")
    line = selected.read_response_line()
    while not re.match(rb"^\* \d+ EXISTS$", line):
        assert line.startswith(b"* "), line
        line = selected.read_response_line()
    assert line == b"* 3 EXISTS"
    selected.send(b"DONE")
    line = selected.read_response_line()
    while not line.startswith(b"I1 "):
        assert line.startswith(b"* "), line
        line = selected.read_response_line()
    assert line.startswith(b"I1 OK"), line
    # A removal over XIMSS: EXPUNGE at the next NOOP.
    r = ximss.request("messageRemove", {"folder": "INBOX", "mode": "Immediately"}, body=f"<UID>{first}</UID>")
    assert r.ok, r
    untagged, _ = selected.command("NOOP")
    assert b"* %d EXPUNGE" % seq1 in untagged, untagged
    selected.close()
    assert imap_flags(server, second) == {r"\Seen", r"\Answered"}


def test_flag_changes_from_ximss_carry_modseq_under_condstore(server, ximss):
    uid = ximss_append(ximss, "modseq")
    open_view(ximss)
    selected = raw_session(server, "ENABLE CONDSTORE")
    untagged, _ = selected.command(f"UID FETCH {uid} (MODSEQ)")
    before = int(re.search(rb"MODSEQ \((\d+)\)", b" ".join(untagged)).group(1))
    mark(ximss, uid, "Flagged")
    untagged, _ = selected.command("NOOP")
    [update] = fetch_lines(untagged)
    assert parse_flags(update) - {"\\Recent"} == {r"\Flagged"}, update
    after = int(re.search(rb"MODSEQ \((\d+)\)", update).group(1))
    assert after > before, update
    # CHANGEDSINCE the old MODSEQ finds the message; since the new one, nothing.
    untagged, _ = selected.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before})")
    assert len(fetch_lines(untagged)) == 1, untagged
    untagged, _ = selected.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {after})")
    assert fetch_lines(untagged) == [], untagged
    selected.close()
