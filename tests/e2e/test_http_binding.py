"""XIMSS over HTTP (G-http-binding.md, F-data-formats-http.md section 2): login through
/XIMSSLogin/, request batches (sync, async, reqSeq), the long-poll (respSeq/ackSeq, maxWait),
the session URLs (MIME parts, uploads, downloads, KILL), HTTPS, and the HTTP limits, driven the
way the real clients drive it."""

import base64
import email
import email.message
import re
import socket
import threading
import time
import urllib.parse

import pytest

from http_client import XimssHttpClient, parse_raw_response, raw_exchange
from ximss_client import escape_text, to_text

DOMAIN = "example.dom"
VIEW_FIELDS = "".join(f"<field>{f}</field>" for f in ("E-From", "E-To", "Subject", "INTERNALDATE"))
STAMP = re.compile(r"^\d{8}T\d{6}Z$")
LOCAL_STAMP = re.compile(r"^\d{8}T\d{6}$")


# --- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def web():
    """Factory: web(server, tls=False, **client options) -> XimssHttpClient; closed at teardown."""
    made = []

    def make(srv, tls=False, **kw):
        c = XimssHttpClient(srv.host, srv.https_port if tls else srv.http_port, tls=tls, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def account(srv, name):
    user, password = f"{name}@{DOMAIN}", f"{name}-pw-1"
    srv.add_account(user, password)
    return user, password


def http_login(web, srv, user, password, client_options=None, **params):
    c = web(srv, **(client_options or {}))
    r = c.login(user, password, **params)
    assert r.ok and r.first("session") is not None, r.http
    return c


def stored_blob(srv, user, mailbox, uid):
    """The message's bytes as the store holds them."""
    [(blob,)] = srv.store_query(
        "SELECT msg.blob_id FROM messages msg JOIN mailboxes m ON m.id = msg.mailbox_id "
        "JOIN accounts a ON a.id = m.account_id WHERE a.name = ? AND m.name = ? AND msg.uid = ?",
        (user.split("@")[0], mailbox, uid))
    return srv.blob_path(blob).read_bytes()


def content_type(value):
    """(type/subtype, charset) of a Content-Type header value."""
    m = email.message.Message()
    m["Content-Type"] = value or ""
    charset = m.get_param("charset")
    return m.get_content_type(), charset.lower() if charset else None


def expect_550(reply):
    assert reply.status == 550, reply
    [response] = list(reply.xml)
    assert response.tag == "response" and response.get("errorNum") == "530", reply
    return reply


def session_gone(c):
    """Every kind of session URL answers 550."""
    expect_550(c.post("sync", '<XIMSS><noop id="n1"/></XIMSS>'))
    expect_550(c.get("?maxWait=1"))
    expect_550(c.get("MIME/INBOX/1-P.txt"))


class Background:
    """Runs fn(*args) in a thread; join() returns its result or raises its error."""

    def __init__(self, fn, *args, **kwargs):
        self.result, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self.thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self.result = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - re-raised by join()
            self.error = e

    def join(self, timeout=15):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "background request did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def text_email(subject, body="hello\n", to=None):
    to_xml = "".join(f'<To realName="{n}">{a}</To>' if n else f"<To>{a}</To>" for n, a in (to or []))
    return (f'<EMail><From realName="Web Sender">web@{DOMAIN}</From>{to_xml}'
            f"<Subject>{escape_text(subject)}</Subject>"
            f'<MIME type="text" subtype="plain">{escape_text(body)}</MIME></EMail>')


PNG = bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 3
BLOB = bytes(range(256)) * 4
HTML = '<html><body><p>Logo:</p><img src="cid:logo.1@example.dom"></body></html>'
PARTS_EMAIL = (
    f"<EMail><From>parts@{DOMAIN}</From><Subject>parts</Subject>"
    '<MIME type="multipart" subtype="mixed">'
    '<MIME type="multipart" subtype="related">'
    f'<MIME type="text" subtype="html" charset="utf-8">{escape_text(HTML)}</MIME>'
    f'<MIME type="image" subtype="png" contentID="logo.1@example.dom">{base64.b64encode(PNG).decode()}</MIME>'
    "</MIME>"
    '<MIME type="text" subtype="plain" charset="iso-8859-1">Grüße aus Köln\n</MIME>'
    '<MIME type="application" subtype="octet-stream" disposition="attachment" disposition-filename="blob.bin">'
    f"{base64.b64encode(BLOB).decode()}</MIME>"
    "</MIME></EMail>")


def append_parts_message(tcp):
    """Appends PARTS_EMAIL over XIMSS TCP; returns its UID."""
    r = tcp.request("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, body=PARTS_EMAIL)
    assert r.ok, r
    return int(r.first("messageAdded").get("UID"))


# --- the real client's flow ----------------------------------------------------------------------

def test_real_client_flow(server, web):
    user, password = account(server, "flow")
    c = web(server)
    r = c.login(user, password, version="6.1", x2auth="1", canUpdatePwd="1", random="8731")
    assert r.ok, r.http
    assert r.http.status == 200 and content_type(r.http.content_type) == ("text/xml", "utf-8"), r.http
    session = r.first("session")
    assert session.get("userName") == user and session.get("urlID"), r.http
    assert re.match(r"^\d+-[A-Za-z0-9]+$", c.url_id), c.url_id

    # The client's first batch: everything in one POST, the replies in order.
    batch = c.sync([
        ("listKnownValues",),
        ("mailboxList", {"filter": "%"}),
        ("folderOpen", {"folder": "INBOX"}, VIEW_FIELDS),
        ("setSessionOption", {"name": "reportMailboxChanges", "value": "yes"}),
    ])
    assert batch.complete and all(reply.ok for reply in batch), batch
    assert batch.http.status == 200 and content_type(batch.http.content_type)[0] == "text/xml"
    known = batch[0].first("knownValues")
    assert known is not None and "Europe/Berlin" in {z.get("name") for z in known.findall("tzid")}, batch
    assert "INBOX" in [m.get("mailbox") for m in batch[1].data], batch
    init = batch[2].first("folderReport")
    assert init.get("mode") == "init" and init.get("folder") == "INBOX" and init.get("messages") == "0", batch
    assert batch.async_messages == [], batch

    # Nothing is queued: the long-poll waits and answers an empty <XIMSS/>.
    idle = c.poll(max_wait=1)
    assert idle.messages == [] and idle.elapsed >= 0.8, idle

    # The long-poll is held while another session (XIMSS over TCP) appends: it returns early.
    tcp = server.login(user, password)
    held = Background(c.poll, max_wait=15)
    time.sleep(0.5)
    r = tcp.request("messageAppend", {"targetMailbox": "INBOX", "report": "uid"},
                    body=text_email("hello over http", "first line\nsecond line\n",
                                    to=[("Ann Example", f"ann@{DOMAIN}"), ("", f"bob@{DOMAIN}")]))
    assert r.ok, r
    uid = int(r.first("messageAdded").get("UID"))
    woken = held.join()
    assert woken.elapsed < 10 and woken.messages, woken
    notify = c.wait_async("folderReport", timeout=5)
    assert notify.get("folder") == "INBOX" and notify.get("mode") == "notify", to_text(notify)
    changed = c.wait_async("mailboxModified", timeout=5)
    assert changed.get("mailbox") == "INBOX", to_text(changed)

    # folderSync shows the new message with the viewer fields.
    r = c.call("folderSync", {"folder": "INBOX", "limit": "300"})
    assert r.ok, r
    [added] = r.data
    assert added.tag == "folderReport" and added.get("mode") == "added", r
    assert added.get("UID") == str(uid) and added.get("index") == "0" and added.get("messages") == "1", r
    assert added.findtext("E-From") == f"web@{DOMAIN}" and added.findtext("Subject") == "hello over http", r
    to_addresses = {a.strip() for e in added.findall("E-To") for a in (e.text or "").split(",")}
    assert to_addresses == {f"ann@{DOMAIN}", f"bob@{DOMAIN}"}, r
    date = added.find("INTERNALDATE")
    assert STAMP.match(date.text or "") and LOCAL_STAMP.match(date.get("localTime") or ""), r

    # A second HTTP session of the account appends: one more notify, one more added report.
    other = http_login(web, server, user, password)
    r = other.call("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, text_email("second one"))
    assert r.ok and r.first("messageAdded").get("UID") == str(uid + 1), r
    notify = c.wait_async("folderReport", timeout=5, match=lambda m: m.get("mode") == "notify")
    assert notify.get("folder") == "INBOX"
    r = c.call("folderSync", {"folder": "INBOX", "limit": "300"})
    assert [(m.get("mode"), m.get("UID"), m.findtext("Subject")) for m in r.data] == [
        ("added", str(uid + 1), "second one")], r

    # folderRead and the MIME URL of the whole message.
    r = c.call("folderRead", {"folder": "INBOX", "UID": str(uid)})
    assert r.ok, r
    message = r.first("folderMessage")
    assert message.findtext("EMail/Subject") == "hello over http", r
    assert message.find("EMail/MIME").text == "first line\nsecond line\n", r
    raw = c.mime("INBOX", uid, suffix="P.txt")
    assert raw.status == 200, raw
    assert content_type(raw.content_type)[0] == "text/plain", raw.headers
    assert raw.body == stored_blob(server, user, "INBOX", uid), raw
    assert b"\r\nSubject: hello over http\r\n" in raw.body and raw.body.endswith(b"first line\r\nsecond line\r\n")
    # All of it went over one keep-alive connection.
    assert c.connects == 1, c.connects


def test_mime_part_urls(server, web):
    user, password = account(server, "parts")
    tcp = server.login(user, password)
    uid = append_parts_message(tcp)
    c = http_login(web, server, user, password)
    r = c.call("folderOpen", {"folder": "INBOX"}, VIEW_FIELDS)
    assert r.ok, r
    r = c.call("folderRead", {"folder": "INBOX", "UID": str(uid)})
    top = r.first("folderMessage").find("EMail/MIME")
    related, latin, attachment = list(top)
    assert [p.get("partID") for p in related] == ["01-01", "01-02"], r
    assert latin.get("partID") == "02" and attachment.get("partID") == "03", r

    # B.<ext>: the decoded body with the part's Content-Type.
    r = c.mime("INBOX", uid, "03", "B.bin")
    assert r.status == 200 and r.body == BLOB, r
    assert content_type(r.content_type)[0] == "application/octet-stream", r.headers
    r = c.mime("INBOX", uid, "03", "B.bin", tail="/blob.bin")  # the file name is ignored
    assert r.status == 200 and r.body == BLOB, r
    r = c.mime("INBOX", uid, "01-02", "B.png")
    assert r.status == 200 and r.body == PNG and content_type(r.content_type)[0] == "image/png", r
    r = c.mime("INBOX", uid, "02", "B.txt")
    assert r.status == 200, r
    assert content_type(r.content_type) == ("text/plain", "iso-8859-1"), r.headers
    assert r.body.replace(b"\r\n", b"\n") == "Grüße aus Köln\n".encode("latin-1"), r
    r = c.mime("INBOX", uid, "01-01", "B.html")
    assert r.status == 200 and content_type(r.content_type) == ("text/html", "utf-8"), r
    assert r.body.decode().strip() == HTML, r

    # H.txt: the headers only; P.txt: headers and the body undecoded, as stored.
    blob = stored_blob(server, user, "INBOX", uid)
    r = c.mime("INBOX", uid, "03", "H.txt")
    assert r.status == 200 and content_type(r.content_type)[0] == "text/plain", r
    assert b"Content-Type: application/octet-stream" in r.body and b"Content-Disposition: attachment" in r.body, r
    assert base64.b64encode(BLOB[:48]) not in r.body, r
    part = c.mime("INBOX", uid, "03", "P.txt")
    assert part.status == 200 and content_type(part.content_type)[0] == "text/plain", part
    # Undecoded means as stored: the same bytes (and line ends) as in the message.
    assert part.body in blob and part.body.startswith(r.body.rstrip(b"\r\n")), (part, blob)
    assert r.body in blob, (r, blob)
    assert email.message_from_bytes(part.body).get_payload(decode=True) == BLOB
    whole_head = c.mime("INBOX", uid, suffix="H.txt")
    assert whole_head.status == 200 and b"Subject: parts" in whole_head.body, whole_head
    assert blob.startswith(whole_head.body.rstrip(b"\r\n")), whole_head
    assert "Grüße".encode("latin-1") not in whole_head.body and base64.b64encode(BLOB[:48]) not in whole_head.body
    assert c.mime("INBOX", uid, suffix="P.txt").body == blob

    # R/<cid>: the related part with that Content-ID, from the HTML part.
    cid = urllib.parse.quote("logo.1@example.dom", safe="")
    r = c.mime("INBOX", uid, "01-01", "R/" + cid)
    assert r.status == 200 and r.body == PNG and content_type(r.content_type)[0] == "image/png", r
    assert c.mime("INBOX", uid, "01-01", "R/" + urllib.parse.quote("nope@example.dom", safe="")).status == 404

    # Unknown folder, UID, part: 404; a malformed name: 4xx.
    for folder, uid_text, part_id, suffix in [("Nope", uid, "03", "B.bin"), ("INBOX", 999, None, "P.txt"),
                                              ("INBOX", uid, "09", "B.bin"), ("INBOX", uid, "01-07", "H.txt")]:
        r = c.mime(folder, uid_text, part_id, suffix)
        assert r.status == 404, (folder, uid_text, part_id, suffix, r)
    for bad in [f"MIME/INBOX/{uid}-Q.txt", "MIME/INBOX/x-P.txt", "MIME/INBOX", "MIME/"]:
        r = c.get(bad)
        assert 400 <= r.status < 500, (bad, r)

    # The UID must be in the view: a filtered view that leaves it out cannot serve it.
    r = c.call("folderOpen", {"folder": "flagged", "mailbox": "INBOX", "filter": "Flagged", "filterField": "FLAGS"},
               "<field>UID</field>")
    assert r.ok and r.first("folderReport").get("messages") == "0", r
    assert c.mime("flagged", uid, "03", "B.bin").status == 404
    # A view name that needs URL-encoding.
    assert c.call("folderOpen", {"folder": "My view/ä", "mailbox": "INBOX"}, "<field>UID</field>").ok
    r = c.mime("My view/ä", uid, "03", "B.bin")
    assert r.status == 200 and r.body == BLOB, r
    # A closed view serves nothing.
    assert c.call("folderClose", {"folder": "My view/ä"}).ok
    assert c.mime("My view/ä", uid, "03", "B.bin").status == 404

    # The same URLs work for a session made over XIMSS TCP (its urlID).
    assert tcp.request("folderOpen", {"folder": "tcpview", "mailbox": "INBOX"}, body="<field>UID</field>").ok
    via_tcp = web(server)
    via_tcp.url_id = tcp.url_id
    r = via_tcp.mime("tcpview", uid, "01-02", "B.png")
    assert r.status == 200 and r.body == PNG, r


def test_upload_put_and_form_then_append(server, web):
    user, password = account(server, "uploader")
    c = http_login(web, server, user, password)
    assert c.call("folderOpen", {"folder": "INBOX"}, VIEW_FIELDS).ok
    pdf = b"%PDF-1.4\n" + bytes((i * 7 + 3) % 256 for i in range(5000))
    notes = "Notizen: Grüße\r\nzweite Zeile\r\n".encode()

    r = c.upload_put("att1", b"to be replaced", "application/octet-stream")
    assert r.status == 200, r
    r = c.upload_put("att1", pdf, "application/pdf")  # the same uploadID replaces the file
    assert r.status == 200, r
    r = c.upload_form("att2", notes, "notes.txt", "text/plain; charset=utf-8")
    assert r.status == 200, r
    uploaded = [c.wait_async("newUploaded", timeout=5).get("uploadID") for _ in range(3)]
    assert uploaded == ["att1", "att1", "att2"], [to_text(m) for m in c.async_messages]

    r = c.call("listUploaded")
    assert r.ok, r
    files = {f.get("uploadID"): f for f in r.data if f.tag == "uploadedFile"}
    assert set(files) == {"att1", "att2"}, r
    assert files["att1"].get("size") == str(len(pdf)), r
    assert (files["att1"].get("type"), files["att1"].get("subtype")) == ("application", "pdf"), r
    assert files["att2"].get("fileName") == "notes.txt" and files["att2"].get("size") == str(len(notes)), r
    assert (files["att2"].get("type"), files["att2"].get("subtype")) == ("text", "plain"), r

    # DOWNLOAD/$UPLOAD$/id: the file, with its Content-Type.
    r = c.download_upload("att1")
    assert r.status == 200 and r.body == pdf and content_type(r.content_type)[0] == "application/pdf", r
    r = c.download_upload("att2")
    assert r.status == 200 and r.body == notes and content_type(r.content_type)[0] == "text/plain", r
    assert c.download_upload("att9").status == 404
    assert c.get("DOWNLOAD/somefile.txt").status == 404

    # A message with both files as parts.
    compose = (f"<EMail><From>{user}</From><Subject>with uploads</Subject>"
               '<MIME type="multipart" subtype="mixed"><MIME type="text" subtype="plain">see attached\n</MIME>'
               '<MIME uploadID="att1"/><MIME uploadID="att2"/></MIME></EMail>')
    r = c.call("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, compose)
    assert r.ok, r
    uid = int(r.first("messageAdded").get("UID"))
    c.wait_async("folderReport", timeout=5, match=lambda m: m.get("mode") == "notify")
    r = c.call("folderSync", {"folder": "INBOX", "limit": "300"})
    assert [m.get("UID") for m in r.data] == [str(uid)], r
    r = c.call("folderRead", {"folder": "INBOX", "UID": str(uid)})
    parts = list(r.first("folderMessage").find("EMail/MIME"))
    assert [(p.get("partID"), p.get("type"), p.get("subtype")) for p in parts] == [
        ("01", "text", "plain"), ("02", "application", "pdf"), ("03", "text", "plain")], r
    r = c.mime("INBOX", uid, "02", "B.pdf")
    assert r.status == 200 and r.body == pdf and content_type(r.content_type)[0] == "application/pdf", r
    r = c.mime("INBOX", uid, "03", "B.txt", tail="/notes.txt")
    assert r.status == 200 and r.body.replace(b"\r\n", b"\n") == notes.replace(b"\r\n", b"\n"), r
    head = c.mime("INBOX", uid, "03", "H.txt")
    assert b"notes.txt" in head.body, head

    # A whole message uploaded and appended as it is: read back byte for byte.
    raw = (f"From: Raw Sender <raw@{DOMAIN}>\r\nTo: {user}\r\nSubject: raw upload\r\n"
           "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <raw-1@example.dom>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
           "line one\r\nline two\r\n").encode()
    assert c.upload_put("raw1", raw, "message/rfc822").status == 200
    r = c.call("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, '<EMail uploadID="raw1"/>')
    assert r.ok, r
    raw_uid = int(r.first("messageAdded").get("UID"))
    c.wait_async("folderReport", timeout=5, match=lambda m: m.get("mode") == "notify")
    assert c.call("folderSync", {"folder": "INBOX"}).ok
    r = c.mime("INBOX", raw_uid, suffix="P.txt")
    assert r.status == 200 and r.body == raw, r
    assert stored_blob(server, user, "INBOX", raw_uid) == raw

    # clearUploaded removes it from the downloads too.
    assert c.call("clearUploaded", {"uploadID": "att2"}).ok
    assert c.download_upload("att2").status == 404
    assert c.download_upload("att1").body == pdf


@pytest.mark.parametrize("file_type", ["message/rfc822", "multipart/mixed; boundary=zz", "application/pdf"])
def test_form_upload_of_any_file_type(server, web, file_type):
    """A browser posts a .eml file as message/rfc822 (and may post any type): the fileData
    part is the file, whatever its Content-Type."""
    user, password = account(server, "former")
    c = http_login(web, server, user, password)
    data = (b"From: a@example.dom\r\nSubject: saved message\r\n\r\nbody\r\n" if file_type.startswith("message")
            else b"--zz\r\nContent-Type: text/plain\r\n\r\nx\r\n--zz--\r\n" if file_type.startswith("multipart")
            else b"%PDF-1.4\n" + bytes(range(256)))
    r = c.upload_form("file1", data, "saved.eml", file_type)
    assert r.status == 200, r
    assert c.wait_async("newUploaded", timeout=5).get("uploadID") == "file1"
    r = c.download_upload("file1")
    assert r.status == 200 and r.body == data, r
    assert content_type(r.content_type)[0] == content_type(file_type)[0], r.headers
    [uploaded] = c.call("listUploaded").data
    assert uploaded.get("fileName") == "saved.eml" and uploaded.get("size") == str(len(data)), to_text(uploaded)


def test_other_session_urls(server, web):
    user, password = account(server, "urls")
    c = http_login(web, server, user, password)
    r = c.get("PROFILE/")
    assert r.status == 200 and content_type(r.content_type)[0] == "text/vcard" and b"BEGIN:VCARD" in r.body, r
    assert c.get("Export/INBOX/contacts.vcf").status == 404
    assert c.get("CertAndKey.pfx?PFXPassword=x").status == 404
    r = c.request("GET", "/")
    assert r.status == 200 and content_type(r.content_type)[0] == "text/html", r
    assert c.request("GET", "/no-such-page.html").status == 404


def test_kill_ends_the_session(server, web):
    user, password = account(server, "killer")
    c = http_login(web, server, user, password)
    assert c.call("noop").ok
    r = c.kill()
    assert r.status == 200, r
    session_gone(c)
    expect_550(c.kill())
    # The page-unload beacon: POST with no body.
    d = http_login(web, server, user, password)
    r = d.kill(method="POST")
    assert r.status == 200, r
    session_gone(d)


# --- login variants ------------------------------------------------------------------------------

def test_cram_md5_login_and_nonce_reuse(server, web):
    user, password = account(server, "cram")
    c = web(server)
    features = c.list_features()
    assert "CRAM-MD5" in [s.text for s in features.findall("sasl")], to_text(features)
    nonce = features.findtext("nonce")
    assert nonce
    r, used = c.login_cram_md5(user, password, nonce=nonce)
    assert r.ok and r.first("session").get("userName") == user, r.http
    assert c.call("noop").ok
    # A nonce works once.
    again = web(server)
    r, _ = again.login_cram_md5(user, password, nonce=used)
    assert r.http.status == 200 and r.first("session") is None and r.error_num is not None, r.http
    # A fresh nonce works, also with the "user digest" form; a wrong password does not.
    r, _ = again.login_cram_md5(user, password, with_user=True)
    assert r.ok and r.first("session").get("userName") == user, r.http
    r, _ = web(server).login_cram_md5(user, "wrong-password")
    assert r.first("session") is None and r.error_num == 515, r.http
    # Each listFeatures gives a new nonce.
    assert web(server).nonce() != web(server).nonce()
    # Pre-login requests in a POST body run without a session.
    batch = web(server).prelogin([("readStrings",), ("noop",)])
    assert batch.complete and batch[0].ok and batch[0].first("strings") is not None and batch[1].ok, batch


def test_wrong_password(server, web):
    user, password = account(server, "wrongpw")
    c = web(server)
    r = c.login(user, password + "x")
    assert r.http.status == 200 and content_type(r.http.content_type)[0] == "text/xml", r.http
    assert r.first("session") is None and r.error_num == 515, r.http
    r = c.login(user, password + "x", error_as_xml=False)
    assert r.http.status == 401, r.http
    assert (r.http.header("WWW-Authenticate") or "").startswith("Basic realm="), r.http.headers
    r = c.login(f"nobody@{DOMAIN}", password)
    assert r.first("session") is None and r.error_num == 515, r.http
    # The same connection still logs in with the right password.
    assert c.login(user, password).ok


def test_http_basic_login(server, web):
    user, password = account(server, "basic")
    c = web(server)
    r = c.login_basic(user, password)
    assert r.ok and r.first("session").get("userName") == user, r.http
    assert c.call("mailboxList", {"filter": "INBOX"}).ok
    r = web(server).login_basic(user, "bad-password")
    assert r.first("session") is None and r.error_num == 515, r.http
    r = web(server).login_basic(user, "bad-password", error_as_xml=False)
    assert r.http.status == 401 and r.http.header("WWW-Authenticate", "").startswith("Basic"), r.http


def test_sessionid_revalidation_and_kill_old(server, web):
    user, password = account(server, "resume")
    first = http_login(web, server, user, password)
    old = first.url_id
    # Re-validation answers the same session.
    second = web(server)
    r = second.login_sessionid(old, user=user)
    assert r.ok and r.first("session").get("urlID") == old and r.first("session").get("userName") == user, r.http
    assert second.call("noop").ok and first.call("noop").ok
    # killOld ends it and gives a new one.
    third = web(server)
    r = third.login_sessionid(old, kill_old=True, user=user)
    assert r.ok, r.http
    new = r.first("session").get("urlID")
    assert new and new != old and r.first("session").get("userName") == user, r.http
    session_gone(first)
    assert third.call("noop").ok
    # An ended or unknown session is not re-validated.
    r = web(server).login_sessionid(old, user=user)
    assert r.first("session") is None and r.error_num is not None, r.http
    r = web(server).login_sessionid("1-" + "A" * 24, user=user)
    assert r.first("session") is None and r.error_num is not None, r.http


def test_bye_in_a_batch_ends_the_session(server, web):
    user, password = account(server, "byebye")
    c = http_login(web, server, user, password)
    batch = c.sync([("noop",), ("bye",)])
    assert batch.complete and batch[0].ok and batch[1].ok, batch
    session_gone(c)


# --- batches and the long-poll -------------------------------------------------------------------

def test_repeated_req_seq_executes_once(server, web):
    user, password = account(server, "retry")
    c = http_login(web, server, user, password)
    append = ("messageAppend", {"id": "ap1", "targetMailbox": "INBOX", "report": "uid"}, text_email("only once"))
    first = c.sync([append], req_seq=7)
    assert first[0].ok and first[0].first("messageAdded").get("UID") == "1", first
    retry = c.sync([append], req_seq=7)
    assert retry.http.body == first.http.body, (first, retry)

    def messages():
        r = c.call("mailboxList", {"filter": "INBOX"})
        return r.data[0].get("MESSAGES")

    assert messages() == "1"
    # A new reqSeq with the same body is a new batch.
    again = c.sync([append], req_seq=c.req_seq + 1)
    assert again[0].first("messageAdded").get("UID") == "2", again
    assert messages() == "2"
    # A retry of an older batch arriving late is not run again either.
    late = c.sync([append], req_seq=7)
    assert late.http.status == 200 and late.http.body.strip() == b"<XIMSS/>", late
    assert messages() == "2"


def test_async_post_and_long_poll(server, web):
    user, password = account(server, "asyncer")
    c = http_login(web, server, user, password)
    ids, r = c.async_post([("noop",), ("mailboxList", {"filter": "INBOX"}), ("folderRead", {"folder": "x", "UID": "1"})])
    assert r.status == 200 and r.xml.tag == "XIMSS" and list(r.xml) == [], r
    noop, listing, bad = c.collect(ids, timeout=5)
    assert noop.ok and listing.ok and listing.data[0].get("mailbox") == "INBOX", listing
    assert bad.error_num == 530, bad


def test_sync_async_carries_pending_messages(server, web):
    user, password = account(server, "syncasync")
    c = http_login(web, server, user, password)
    assert c.call("folderOpen", {"folder": "INBOX"}, VIEW_FIELDS).ok
    tcp = server.login(user, password)
    assert tcp.request("messageAppend", {"targetMailbox": "INBOX"}, body=text_email("pending")).ok
    time.sleep(0.5)
    plain = c.sync([("noop",)])
    assert plain[0].ok and plain.async_messages == [], plain
    deadline = time.monotonic() + 5
    while True:
        batch = c.sync([("noop",)], sync_async=True)
        assert batch[0].ok, batch
        if batch.async_messages or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    notify = [m for m in batch.async_messages if m.tag == "folderReport"]
    assert notify and notify[0].get("mode") == "notify" and notify[0].get("folder") == "INBOX", batch
    # The batch output comes first, then the pending messages.
    assert batch.messages[0].get("id") == batch.ids[0], batch


def test_ack_seq_resends_what_was_not_acknowledged(server, web):
    user, password = account(server, "acker")
    c = http_login(web, server, user, password)

    def ids_in(poll):
        return [(m.tag, m.get("id")) for m in poll.messages]

    [a], _ = c.async_post([("noop", {"id": "A-noop"})])
    p1 = c.poll(ack_seq=0, max_wait=3, file=False)
    assert ("response", "A-noop") in ids_in(p1) and p1.resp_seq is not None, p1
    # Not acknowledged (the client lost that reply and acknowledges only what it had before):
    # the next poll sends it again, at once, not after maxWait.
    p2 = c.poll(ack_seq=0, max_wait=3, file=False)
    assert ids_in(p2) == ids_in(p1) and p2.elapsed < 2, (p1, p2)
    assert [to_text(m) for m in p2.messages] == [to_text(m) for m in p1.messages]
    # Acknowledged: gone.
    p3 = c.poll(ack_seq=p2.resp_seq, max_wait=1, file=False)
    assert p3.messages == [], p3
    # Acknowledging one reply drops only what it carried.
    c.async_post([("noop", {"id": "B-noop"})])
    pb = c.poll(ack_seq=p2.resp_seq, max_wait=3, file=False)
    assert ids_in(pb) == [("response", "B-noop")], pb
    c.async_post([("noop", {"id": "C-noop"})])
    time.sleep(0.3)
    pc = c.poll(ack_seq=pb.resp_seq, max_wait=3, file=False)
    assert ids_in(pc) == [("response", "C-noop")], pc
    assert pc.resp_seq > pb.resp_seq, (pb, pc)
    assert c.poll(ack_seq=pc.resp_seq, max_wait=1, file=False).messages == []
    # A poll without ackSeq takes everything handed out so far as received (a client that never
    # acknowledges must not get the same messages forever).
    c.async_post([("noop", {"id": "D-noop"})])
    pd = c.poll(ack_seq=None, max_wait=3, file=False)
    assert ids_in(pd) == [("response", "D-noop")], pd
    assert c.poll(ack_seq=None, max_wait=1, file=False).messages == []


def test_max_wait_answers_empty(server, web):
    user, password = account(server, "waiter")
    c = http_login(web, server, user, password)
    p = c.poll(max_wait=2)
    assert p.http.status == 200 and p.root.tag == "XIMSS" and p.messages == [], p
    assert 1.7 <= p.elapsed <= 4.5, p
    # The /get form is the same.
    p = c.poll(max_wait=1, path="get")
    assert p.messages == [] and 0.7 <= p.elapsed <= 3.5, p


def test_a_second_poll_ends_the_first(server, web):
    user, password = account(server, "twopolls")
    c = http_login(web, server, user, password)
    first = Background(c.twin().poll, ack_seq=None, max_wait=10, file=False)
    time.sleep(0.7)
    started = time.monotonic()
    second = c.poll(max_wait=1)
    ended = first.join(timeout=12)
    assert ended.messages == [] and ended.elapsed < 3, ended
    assert second.messages == [] and time.monotonic() - started < 4, second


def test_range_and_offsets(server, web):
    user, password = account(server, "ranger")
    tcp = server.login(user, password)
    uid = append_parts_message(tcp)
    c = http_login(web, server, user, password)
    assert c.call("folderOpen", {"folder": "INBOX"}, VIEW_FIELDS).ok
    size = len(BLOB)

    r = c.mime("INBOX", uid, "03", "B.bin", headers={"Range": "bytes=100-199"})
    assert r.status == 206 and r.body == BLOB[100:200], r
    assert r.header("Content-Range") == f"bytes 100-199/{size}", r.headers
    r = c.mime("INBOX", uid, "03", "B.bin", headers={"Range": "bytes=1000-"})
    assert r.status == 206 and r.body == BLOB[1000:], r
    assert r.header("Content-Range") == f"bytes 1000-{size - 1}/{size}", r.headers
    r = c.mime("INBOX", uid, "03", "B.bin", headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert r.status == 416, r
    assert r.header("Content-Range") == f"bytes */{size}", r.headers
    # The seed's OffsetFrom/OffsetTill: [from, till).
    r = c.mime("INBOX", uid, "03", "B.bin", query={"OffsetFrom": 100, "OffsetTill": 200})
    assert r.status == 206 and r.body == BLOB[100:200] and len(r.body) == 100, r
    r = c.mime("INBOX", uid, "03", "B.bin", query={"OffsetFrom": 1000})
    assert r.status == 206 and r.body == BLOB[1000:], r
    r = c.mime("INBOX", uid, "03", "B.bin", query={"OffsetFrom": 0, "OffsetTill": 1})
    assert r.status == 206 and r.body == BLOB[:1], r
    # On the raw message too.
    blob = stored_blob(server, user, "INBOX", uid)
    r = c.mime("INBOX", uid, suffix="P.txt", headers={"Range": "bytes=0-9"})
    assert r.status == 206 and r.body == blob[:10], r
    # No range: the whole body, 200.
    r = c.mime("INBOX", uid, "03", "B.bin")
    assert r.status == 200 and r.body == BLOB, r


# --- timeouts, TLS, limits -----------------------------------------------------------------------

def test_idle_timeout_ends_an_http_session(start_server, web):
    srv = start_server({"ximss.idle_timeout": 2})
    user, password = account(srv, "idler")
    c = http_login(web, srv, user, password)
    # Long-polls keep the session alive past the idle timeout.
    for _ in range(3):
        assert c.poll(max_wait=1).messages == []
    assert c.call("noop").ok
    time.sleep(4)
    session_gone(c)


def test_https_login_and_sync(server, web):
    user, password = account(server, "secure")
    c = web(server, tls=True)
    r = c.login(user, password)
    assert r.ok and r.first("session").get("userName") == user, r.http
    assert c.conn.sock.version() in ("TLSv1.2", "TLSv1.3"), c.conn.sock.version()
    batch = c.sync([("noop",), ("mailboxList", {"filter": "INBOX"})])
    assert batch.complete and batch[0].ok and batch[1].data[0].get("mailbox") == "INBOX", batch
    assert c.poll(max_wait=1).messages == []
    # CRAM-MD5 and the session URLs work there too.
    d = web(server, tls=True)
    r, _ = d.login_cram_md5(user, password)
    assert r.ok, r.http
    assert d.kill().status == 200


LIMITS = {"http.max_header_size": 4096, "http.max_body_size": 65536, "http.read_timeout": 2,
          "http.max_poll_wait": 1}


def test_limits_on_headers_bodies_and_xml(start_server, web):
    srv = start_server(LIMITS)
    user, password = account(srv, "limits")
    c = http_login(web, srv, user, password)

    # Headers: under the limit fine, over it 431.
    r = c.post("sync", '<XIMSS><noop id="h1"/></XIMSS>', headers={"X-Filler": "a" * 2500})
    assert r.status == 200 and r.xml[0].get("id") == "h1", r
    data = (f"GET /XIMSSLogin/?errorAsXML=1 HTTP/1.1\r\nHost: x\r\nX-Filler: {'a' * 6000}\r\n\r\n").encode()
    status, _, _ = parse_raw_response(raw_exchange(srv.host, srv.http_port, data))
    assert status == 431, status

    # Bodies: under the limit fine, over it 413.
    padding = " " * 60000
    r = c.post("sync", f'<XIMSS><noop id="big"/>{padding}</XIMSS>')
    assert r.status == 200 and r.xml[0].get("id") == "big" and r.xml[0].get("errorNum") is None, r
    body = f'<XIMSS><noop id="huge"/>{" " * 70000}</XIMSS>'.encode()
    data = (f"POST /Session/{c.url_id}/sync?reqSeq=100 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    status, _, _ = parse_raw_response(raw_exchange(srv.host, srv.http_port, data))
    assert status == 413, status

    # Malformed XML: an XIMSS error, and the connection keeps serving.
    before = c.connects
    r = c.post("sync", '<XIMSS><noop id="m1"></XIMSS>')
    assert r.status == 200, r
    [response] = list(r.xml)
    assert response.tag == "response" and response.get("errorNum") == "502", r
    r = c.post("sync", "this is not xml at all")
    assert r.status == 200 and r.xml[0].get("errorNum") == "502", r
    r = c.post("sync", '<XIMSS><noop/></XIMSS>')
    assert r.status == 200 and r.xml[0].get("errorNum") == "501", r
    assert c.call("noop").ok
    assert c.connects == before, "the server closed the keep-alive connection after an XML error"

    # maxWait is capped by http.max_poll_wait.
    p = c.poll(max_wait=30)
    assert p.messages == [] and p.elapsed < 4, p


def test_slow_client_is_disconnected(start_server):
    srv = start_server(LIMITS)
    request = b"GET /XIMSSLogin/?errorAsXML=1&userName=x&password=y HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"s" * 200
    sock = socket.create_connection((srv.host, srv.http_port), timeout=10)
    started = time.monotonic()
    closed_at = None
    try:
        sock.settimeout(0.25)
        for byte in request:
            if time.monotonic() - started > 8:
                break
            try:
                sock.send(bytes([byte]))
                data = sock.recv(4096)
            except TimeoutError:
                continue  # still open, nothing said: the next byte
            except OSError:  # reset
                closed_at = time.monotonic() - started
                break
            closed_at = time.monotonic() - started
            if data:  # a 408 may come first; then the connection must end
                assert data.startswith(b"HTTP/1.1 408"), data
                sock.settimeout(3)
                try:
                    while sock.recv(4096):
                        pass
                except ConnectionResetError:
                    pass
            break
    finally:
        sock.close()
    assert closed_at is not None, "a client sending its request byte by byte for 8 s was never disconnected"
    assert 1.5 <= closed_at <= 5, closed_at


def test_request_rate_limit(start_server):
    srv = start_server({"http.request_rate": 5, "http.request_burst": 5})
    noop = '<XIMSS><noop id="n"/></XIMSS>'

    def one():
        conn = XimssHttpClient(srv.host, srv.http_port)
        try:
            return conn.request("POST", "/XIMSSLogin/?errorAsXML=1", noop, {"Content-Type": "text/xml"})
        finally:
            conn.close()

    replies = [one() for _ in range(20)]
    statuses = [r.status for r in replies]
    assert statuses[:5] == [200] * 5, statuses
    assert 429 in statuses, statuses
    limited = next(r for r in replies if r.status == 429)
    assert (limited.header("Retry-After") or "").strip().isdigit(), limited.headers
    # The bucket refills.
    time.sleep(1.5)
    assert one().status == 200


# --- several nodes: a session id names its node ---------------------------------------------------

@pytest.mark.server_settings({"server.node": "n7"})
def test_session_ids_start_with_the_node_name_and_route_back_to_it(server, web):
    """With server.node set, every urlID starts with "<node>." so that a load balancer can send a
    session's requests to the node that holds it; the session works under that id."""
    user, password = account(server, "nodal")
    c = http_login(web, server, user, password)
    assert c.url_id.startswith("n7."), c.url_id
    batch = c.sync([("noop",)])
    assert batch.complete and batch[0].ok, batch
    # Over TCP too (the id appears in the session element the same way).
    tcp = server.login(user, password)
    assert tcp.request("noop").ok


def test_a_node_name_that_is_not_a_plain_word_is_refused(tmp_path):
    from server_harness import XimssServer
    srv = XimssServer(tmp_path / "bad", {"server.node": "n1/evil"})
    cp = srv.admin("account", "list", "--set", "server.node=n1/evil")
    assert cp.returncode != 0 and "server.node" in (cp.stderr + cp.stdout), cp
