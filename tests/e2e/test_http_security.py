"""Security of the HTTP binding: session ids, the binding of a session to its client address and
cookie, isolation between accounts, path traversal, and HTML parts kept from running scripts."""

import itertools
import os
import re

import pytest

from http_client import parse_raw_response, raw_exchange
from test_http_binding import (HTML, account, append_parts_message, content_type, expect_550,
                               http_login, session_gone, text_email, web)  # noqa: F401 (web is a fixture)

SECRET = "Ultra secret 7f3c9a payroll"
SECRET_BYTES = SECRET.encode()
LEAK_MARKERS = [b"root:x:0:0", b"SQLite format 3", b"PRIVATE KEY", SECRET_BYTES]


def no_leak(reply):
    for marker in LEAK_MARKERS:
        assert marker not in reply.body, (marker, reply)


def test_session_ids_are_long_and_random(server, web):
    user, password = account(server, "ids")
    ids = [http_login(web, server, user, password).url_id for _ in range(6)]
    ids.append(server.login(user, password).url_id)  # XIMSS TCP sessions get the same kind
    for url_id in ids:
        assert re.fullmatch(r"\d+-[A-Za-z0-9]{20,}", url_id), url_id
    secrets = [i.split("-", 1)[1] for i in ids]
    assert len(set(secrets)) == len(secrets), ids
    for a, b in itertools.combinations(secrets, 2):
        assert len(os.path.commonprefix([a, b])) < 6, (a, b)
    assert len(set("".join(secrets))) > 30, secrets  # not a counter in disguise


def test_session_is_bound_to_the_client_address(server, web):
    user, password = account(server, "pinned")
    c = http_login(web, server, user, password)
    assert c.call("folderOpen", {"folder": "INBOX"}, "<field>UID</field>").ok
    elsewhere = c.twin(source_address=("127.0.0.2", 0))
    session_gone(elsewhere)
    expect_550(elsewhere.kill())
    expect_550(elsewhere.upload_put("u1", b"x"))
    # Re-validating the session id from another address does not hand it over either.
    r = elsewhere.login_sessionid(c.url_id, user=user)
    assert r.first("session") is None, r.http
    # The session itself is unharmed.
    assert c.call("noop").ok
    # DisableIPWatch=1: usable from any address.
    d = http_login(web, server, user, password, DisableIPWatch="1")
    moved = d.twin(source_address=("127.0.0.2", 0))
    assert moved.call("noop").ok
    assert moved.poll(max_wait=1).messages == []


def test_cookie_bound_session_needs_the_cookie(server, web):
    user, password = account(server, "cookie")
    c = web(server)
    r = c.login(user, password, EnableUseCookie="1")
    assert r.ok, r.http
    cookies = r.http.headers.get_all("Set-Cookie") or []
    assert len(cookies) == 1, r.http.headers
    cookie = cookies[0]
    m = re.match(r"^([^=;\s]+)=([^;]+);", cookie)
    assert m and len(m.group(2)) >= 16, cookie
    attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
    assert "httponly" in attributes and "samesite=strict" in attributes, cookie
    assert f"path=/session/{c.url_id}/".lower() in attributes, cookie
    assert c.call("noop").ok  # the client sends it back
    session_gone(c.twin(use_cookies=False))
    forged = c.twin()
    forged.cookies = {m.group(1): "A" * len(m.group(2))}
    session_gone(forged)
    assert c.call("noop").ok
    # Default: no cookie set, none needed.
    d = web(server)
    r = d.login(user, password)
    assert r.ok and not r.http.headers.get_all("Set-Cookie"), r.http.headers
    assert d.twin(use_cookies=False).call("noop").ok
    # The cookie's name as the interface gives it: ximss_<counter>.
    assert re.fullmatch(r"ximss_\d+", m.group(1)), cookie


def test_one_account_cannot_reach_anothers_data(server, web):
    a_user, a_password = account(server, "alice")
    b_user, b_password = account(server, "bob")
    a = http_login(web, server, a_user, a_password, EnableUseCookie="1")
    r = a.call("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, text_email("payroll", SECRET + "\n"))
    assert r.ok, r
    uid = int(r.first("messageAdded").get("UID"))
    assert a.call("folderOpen", {"folder": "INBOX"}, "<field>UID</field>").ok
    assert a.upload_put("secret-up", SECRET_BYTES, "text/plain").status == 200
    assert a.mime("INBOX", uid, suffix="P.txt").status == 200  # A can
    assert a.download_upload("secret-up").body == SECRET_BYTES

    b = http_login(web, server, b_user, b_password)
    # No view of that name in B's session.
    for reply in [b.mime("INBOX", uid, suffix="P.txt"), b.mime("INBOX", uid, "01", "B.txt")]:
        assert reply.status == 404, reply
        no_leak(reply)
    # B's own INBOX does not hold it; A's INBOX cannot be opened without an ACL.
    assert b.call("folderOpen", {"folder": "INBOX"}, "<field>UID</field>").ok
    reply = b.mime("INBOX", uid, suffix="P.txt")
    assert reply.status == 404, reply
    no_leak(reply)
    r = b.call("folderOpen", {"folder": "theirs", "mailbox": f"~{a_user}/INBOX"}, "<field>UID</field>")
    assert not r.ok and r.error_num in (520, 530), r
    for reply in [b.mime("theirs", uid, suffix="P.txt"), b.mime(f"~{a_user}/INBOX", uid, suffix="P.txt")]:
        assert reply.status == 404, reply
        no_leak(reply)
    # A's uploads are A's.
    reply = b.download_upload("secret-up")
    assert reply.status == 404, reply
    no_leak(reply)
    r = b.call("messageAppend", {"targetMailbox": "INBOX"}, '<EMail uploadID="secret-up"/>')
    assert not r.ok, r
    # A's urlID without A's cookie (B knows the id) or from another address: 550.
    stolen = b.twin(use_cookies=False)
    stolen.url_id = a.url_id
    for reply in [stolen.mime("INBOX", uid, suffix="P.txt"), stolen.download_upload("secret-up"),
                  stolen.post("sync", '<XIMSS><folderRead id="r" folder="INBOX" UID="1"/></XIMSS>'),
                  stolen.get("?maxWait=1")]:
        expect_550(reply)
        no_leak(reply)
    far = a.twin(source_address=("127.0.0.2", 0))  # even with A's cookie
    for reply in [far.mime("INBOX", uid, suffix="P.txt"), far.download_upload("secret-up")]:
        expect_550(reply)
        no_leak(reply)
    # None of it hurt A's session.
    assert a.download_upload("secret-up").body == SECRET_BYTES


def test_path_traversal_is_refused(server, web):
    user, password = account(server, "traveller")
    c = http_login(web, server, user, password)
    r = c.call("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, text_email("t", SECRET + "\n"))
    assert r.ok, r
    assert c.call("folderOpen", {"folder": "INBOX"}, "<field>UID</field>").ok
    assert c.upload_put("up1", SECRET_BYTES, "text/plain").status == 200
    s = f"/Session/{c.url_id}"
    paths = [
        f"{s}/MIME/../..",
        f"{s}/MIME/../../etc/passwd",
        f"{s}/MIME/INBOX/../../../../../../etc/passwd",
        f"{s}/MIME/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"{s}/MIME/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/1-P.txt",
        f"{s}/MIME/INBOX/1-P.txt%00",
        f"{s}/MIME/INBOX%00/1-P.txt",
        f"{s}/MIME/INBOX/1-B.txt/..%2f..%2f..%2fetc%2fpasswd%00",
        f"{s}/DOWNLOAD/../../etc/passwd",
        f"{s}/DOWNLOAD/..%2f..%2f..%2fetc%2fpasswd",
        f"{s}/DOWNLOAD/ximssd.db",
        f"{s}/DOWNLOAD/tls/key.pem",
        f"{s}/DOWNLOAD/%2e%2e/ximssd.db",
        f"{s}/DOWNLOAD/$UPLOAD$/../x",
        f"{s}/DOWNLOAD/$UPLOAD$/../up1",
        f"{s}/DOWNLOAD/$UPLOAD$/..%2fup1",
        f"{s}/DOWNLOAD/$UPLOAD$/%2e%2e%2f%2e%2e%2fximssd.db",
        f"{s}/DOWNLOAD/$UPLOAD$/up1%00",
        f"{s}/DOWNLOAD/$UPLOAD$/up1%00.txt",
        f"{s}/DOWNLOAD/%24UPLOAD%24%2f..%2f..%2fetc%2fpasswd",
        f"{s}/PROFILE/../../../etc/passwd",
        f"{s}/Export/../../etc/passwd/x.vcf",
        f"{s}/../../../etc/passwd",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/index.html%00",
        "/%00",
        "/Session/../../etc/passwd",
        "/XIMSSLogin/../../etc/passwd",
    ]
    for path in paths:
        try:
            reply = c.request("GET", path, timeout=5)
        except TimeoutError:
            pytest.fail(f"GET {path}: no answer within 5 s (served as a long-poll?)")
        assert 400 <= reply.status < 500, (path, reply)
        no_leak(reply)
    # A raw NUL byte in the request line.
    for target in [b"/index.html\x00", f"{s}/DOWNLOAD/$UPLOAD$/up1\x00".encode()]:
        data = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        raw = raw_exchange(server.host, server.http_port, data, timeout=5)
        if raw:  # closing the connection at once is an answer too
            status, _, body = parse_raw_response(raw)
            assert 400 <= status < 500 and SECRET_BYTES not in body, (target, raw[:300])
    # The session still works and the upload is intact.
    assert c.download_upload("up1").body == SECRET_BYTES


def test_html_parts_are_sandboxed(server, web):
    user, password = account(server, "htmlview")
    tcp = server.login(user, password)
    uid = append_parts_message(tcp)
    c = http_login(web, server, user, password)
    assert c.call("folderOpen", {"folder": "INBOX"}, "<field>UID</field>").ok
    for reply in [c.mime("INBOX", uid, "01-01", "B.html"), c.mime("INBOX", uid, "01-01", "B.htm", tail="/page.html"),
                  c.mime("INBOX", uid, "01-01", "P.txt"), c.mime("INBOX", uid, suffix="P.txt"),
                  c.mime("INBOX", uid, "01-01", "R/logo.1%40example.dom")]:
        assert reply.status == 200, reply
        csp = reply.header("Content-Security-Policy") or ""
        assert "sandbox" in [d.strip().split(" ")[0].lower() for d in csp.split(";")], (reply.path, reply.headers)
        assert (reply.header("X-Content-Type-Options") or "").lower() == "nosniff", (reply.path, reply.headers)
    html = c.mime("INBOX", uid, "01-01", "B.html")
    assert content_type(html.content_type)[0] == "text/html" and html.body.decode().strip() == HTML


def test_uploaded_html_is_not_served_as_an_active_page(server, web):
    """An uploaded HTML file downloaded from the session's own origin must not run scripts there:
    sandboxed, or a download (attachment)."""
    user, password = account(server, "htmlupload")
    c = http_login(web, server, user, password)
    page = b"<html><script>fetch('/Session/')</script></html>"
    assert c.upload_put("page", page, "text/html").status == 200
    reply = c.download_upload("page")
    assert reply.status == 200 and reply.body == page, reply
    csp = (reply.header("Content-Security-Policy") or "").lower()
    disposition = (reply.header("Content-Disposition") or "").lower()
    assert "sandbox" in csp or disposition.startswith("attachment"), reply.headers
    assert (reply.header("X-Content-Type-Options") or "").lower() == "nosniff", reply.headers
