"""IMAP session and authentication (RFC 3501 sections 6.1 and 6.2): the greeting, CAPABILITY,
NOOP, LOGOUT and ID (RFC 2971) in any state; STARTTLS, IMAPS, LOGIN and AUTHENTICATE PLAIN
(with and without SASL-IR, RFC 4959) and CRAM-MD5 (RFC 2195); commands in the wrong state."""

import base64
import imaplib
import re
import socket
import ssl

import pytest

from imap_raw import (ImapRaw, Literal, cram_md5, imap, imap_fresh, insecure_tls_context,  # noqa: F401
                      parse, quote, sasl_plain)

# interface.md: the list after login (APPENDLIMIT carries a number). A server may offer more.
AFTER_LOGIN = {
    "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT",
    "CHILDREN", "SPECIAL-USE", "CONDSTORE", "QRESYNC", "ESEARCH", "SEARCHRES", "WITHIN", "SORT",
    "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ACL", "RIGHTS=texk", "QUOTA", "COMPRESS=DEFLATE",
    "APPENDLIMIT",
}
# What a client needs before login to log in at all.
BEFORE_LOGIN = {"IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "AUTH=PLAIN", "AUTH=CRAM-MD5"}


def caps_of(words):
    """A capability list as a set, APPENDLIMIT=<n> as APPENDLIMIT (the number checked apart)."""
    out = set()
    for w in words:
        if re.fullmatch(r"APPENDLIMIT=\d+", w, re.I):
            out.add("APPENDLIMIT")
        else:
            out.add(w)
    return out


def capability(c):
    r = c.command("CAPABILITY")
    assert r.ok, r
    lines = r.data("CAPABILITY")
    assert len(lines) == 1, r
    return lines[0].split()[1:]


def greeting_caps(greeting):
    m = re.match(r"^\* OK \[CAPABILITY ([^\]]*)\] ", greeting)
    assert m, greeting
    return m.group(1).split()


def assert_not_ok(reply, *statuses):
    assert reply.status in (statuses or ("NO", "BAD")), reply


# --- any state -------------------------------------------------------------------------------

def test_greeting_announces_capabilities_before_login(imap):
    c = imap.connect()
    assert re.match(r"^\* OK \[CAPABILITY [^\]]+\] ", c.greeting), c.greeting
    before = capability(c)
    assert greeting_caps(c.greeting) == before
    caps = caps_of(before)
    # Loopback counts as secure: no LOGINDISABLED; STARTTLS on the plain port.
    assert "LOGINDISABLED" not in caps
    assert BEFORE_LOGIN | {"STARTTLS"} <= caps, (BEFORE_LOGIN | {"STARTTLS"}) - caps


def test_capability_after_login_is_the_documented_list(imap):
    acct = imap.account()
    c = imap.connect()
    r = c.login(acct.user, acct.password)
    words = capability(c)
    assert AFTER_LOGIN <= caps_of(words), AFTER_LOGIN - caps_of(words)
    assert not {"STARTTLS", "LOGINDISABLED"} & caps_of(words), words
    limit = [w for w in words if w.upper().startswith("APPENDLIMIT=")]
    assert len(limit) == 1 and int(limit[0].split("=")[1]) > 0, words
    # A CAPABILITY response code in the LOGIN OK must tell the same (RFC 3501 7.1).
    if r.code and r.code.upper().startswith("CAPABILITY "):
        assert caps_of(r.code.split()[1:]) == caps_of(words), r


def test_capability_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib()
    assert "STARTTLS" in c.capabilities and "AUTH=PLAIN" in c.capabilities
    c.login(acct.user, acct.password)
    typ, data = c.capability()
    assert typ == "OK"
    assert AFTER_LOGIN <= caps_of(data[0].decode().split())


def test_noop_in_every_state(imap):
    acct = imap.account()
    c = imap.connect()
    r = c.command("NOOP")
    assert r.ok and r.untagged == [], r
    c.login(acct.user, acct.password)
    assert c.command("NOOP").ok
    c.select("INBOX")
    r = c.command("noop")  # commands are case-insensitive
    assert r.ok and r.untagged == [], r


@pytest.mark.parametrize("state", ["not authenticated", "authenticated", "selected"])
def test_logout_sends_bye_then_ok_then_closes(imap, state):
    acct = imap.account()
    c = imap.connect()
    if state != "not authenticated":
        c.login(acct.user, acct.password)
    if state == "selected":
        c.select("INBOX")
    tag = c.send_command("LOGOUT")
    first = c.read_response()
    assert first.startswith("* BYE"), first
    second = c.read_response()
    assert re.match(rf"^{tag} OK\b", second), second
    assert c.wait_closed() == []


def test_logout_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(acct)
    typ, data = c.logout()
    assert typ == "BYE", (typ, data)


def test_id_in_any_state(imap):
    acct = imap.account()
    c = imap.connect()
    for args in ("NIL", '("name" "pytest" "version" "1.0")'):
        r = c.command(f"ID {args}")
        assert r.ok, r
        [line] = r.data("ID")
        values = parse(line)
        assert values[0].upper() == "ID" and len(values) == 2, line
        # RFC 2971 3.2: NIL or a list of field/value pairs (at most 30, field up to 30 octets).
        if values[1] is not None:
            assert isinstance(values[1], list) and len(values[1]) % 2 == 0 and len(values[1]) <= 60, line
            assert all(isinstance(f, str) and len(f) <= 30 for f in values[1][0::2]), line
    c.login(acct.user, acct.password)
    assert len(c.ok("ID NIL").data("ID")) == 1
    c.select("INBOX")
    assert len(c.ok('ID ("name" "x")').data("ID")) == 1
    assert_not_ok(c.command("ID"), "BAD")


def test_unknown_command_is_bad_and_the_connection_goes_on(imap):
    acct = imap.account()
    c = imap.connect()
    assert_not_ok(c.command("XYZZY"), "BAD")
    assert_not_ok(c.command("LOGIN"), "BAD")  # missing arguments
    c.login(acct.user, acct.password)
    assert_not_ok(c.command("FROBNICATE INBOX"), "BAD")
    assert_not_ok(c.command("SELECT"), "BAD")
    assert c.command("NOOP").ok


# --- TLS -------------------------------------------------------------------------------------

def server_certificate_der(server):
    pem = (server.data_dir / "tls" / "cert.pem")
    if not pem.exists():
        return None
    first = pem.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    return ssl.PEM_cert_to_DER_cert(first)


def test_starttls_then_capability_and_login_over_tls(imap):
    acct = imap.account()
    c = imap.connect()
    r = c.starttls()
    assert r.untagged == [], r
    # The server's own certificate (DATA/tls/cert.pem) is the one presented.
    expected = server_certificate_der(imap.server)
    if expected is not None:
        assert c.sock.getpeercert(binary_form=True) == expected
    caps = caps_of(capability(c))
    # RFC 3501 6.2.1: capabilities may change after TLS; STARTTLS is no longer offered.
    assert "STARTTLS" not in caps and "LOGINDISABLED" not in caps, caps
    assert {"IMAP4rev1", "AUTH=PLAIN", "AUTH=CRAM-MD5"} <= caps, caps
    c.login(acct.user, acct.password)
    assert AFTER_LOGIN <= caps_of(capability(c))
    c.select("INBOX")
    assert c.command("NOOP").ok


def test_starttls_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib()
    typ, _ = c.starttls(ssl_context=insecure_tls_context())
    assert typ == "OK"
    assert "STARTTLS" not in c.capabilities
    typ, _ = c.login(acct.user, acct.password)
    assert typ == "OK"
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"0"], data


def test_starttls_discards_plaintext_pipelined_after_it(imap):
    """Bytes the client sent after STARTTLS in the clear must not be run as commands inside TLS
    (the STARTTLS command injection of CVE-2011-0411 and friends): the server either drops them
    or closes the connection."""
    c = imap.connect()
    c.send("S1 STARTTLS\r\nS2 CAPABILITY\r\n")
    line = c.read_response()
    assert re.match(r"^S1 OK\b", line), line
    assert not c.has_buffered(), "a plaintext response to S2 before the TLS handshake"
    try:
        c.sock = insecure_tls_context().wrap_socket(c.sock, server_hostname="127.0.0.1")
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError, BrokenPipeError):
        return  # closed: nothing was run
    r = c.command("NOOP")
    assert r.ok, r
    # Nothing for S2: neither a CAPABILITY response nor its tagged answer.
    assert not any(l.startswith("* CAPABILITY") for l in r.untagged), r
    assert not any(l.startswith("S2 ") for l in r.untagged), r


def test_starttls_is_refused_inside_tls_and_after_login(imap):
    acct = imap.account()
    c = imap.connect()
    c.starttls()
    assert_not_ok(c.command("STARTTLS"))
    assert c.command("NOOP").ok
    plain = imap.connect(acct)
    assert_not_ok(plain.command("STARTTLS"))
    assert plain.command("NOOP").ok


def test_imaps_port(imap):
    acct = imap.account()
    c = imap.connect(tls=True)
    caps = caps_of(greeting_caps(c.greeting))
    assert "STARTTLS" not in caps and "LOGINDISABLED" not in caps, caps
    assert caps_of(capability(c)) == caps
    assert_not_ok(c.command("STARTTLS"))
    c.login(acct.user, acct.password)
    c.select("INBOX")
    expected = server_certificate_der(imap.server)
    if expected is not None:
        assert c.sock.getpeercert(binary_form=True) == expected


def test_imaps_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib(ssl_port=True)
    typ, _ = c.login(acct.user, acct.password)
    assert typ == "OK"
    typ, data = c.list()
    assert typ == "OK" and any(b"INBOX" in d for d in data), data


# --- LOGIN -----------------------------------------------------------------------------------

def test_login_with_full_and_short_name_and_literals(imap):
    acct = imap.account()
    for user in (acct.user, acct.name, acct.user.upper()):
        c = imap.connect()
        r = c.command(f"LOGIN {quote(user)} {quote(acct.password)}")
        assert r.ok, (user, r)
        c.select("INBOX")
    # Atoms and synchronizing literals are strings too.
    c = imap.connect()
    r = c.command(f"LOGIN {acct.name} ", Literal(acct.password))
    assert r.ok, r
    c = imap.connect()
    r = c.command("LOGIN ", Literal(acct.user), " ", Literal(acct.password, plus=True))
    assert r.ok, r


def test_login_wrong_password_and_unknown_user(imap):
    acct = imap.account()
    c = imap.connect()
    wrong = c.command(f"LOGIN {quote(acct.user)} {quote(acct.password + 'x')}")
    assert wrong.status == "NO" and wrong.code == "AUTHENTICATIONFAILED", wrong
    unknown = c.command(f"LOGIN {quote('nosuch@example.dom')} {quote(acct.password)}")
    # RFC 5530: the same answer, so that a client cannot probe for accounts.
    assert unknown.status == "NO" and unknown.code == "AUTHENTICATIONFAILED", unknown
    # Still not authenticated, and a right password works afterwards.
    assert_not_ok(c.command("SELECT INBOX"))
    c.login(acct.user, acct.password)
    c.select("INBOX")


def test_login_with_imaplib_wrong_password_raises(imap):
    acct = imap.account()
    c = imap.imaplib()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login(acct.user, "not-the-password")
    assert c.login(acct.user, acct.password)[0] == "OK"


# --- AUTHENTICATE ----------------------------------------------------------------------------

def authenticate_with_continuation(c, mechanism, respond):
    """AUTHENTICATE without an initial response; respond(challenge_b64) gives each answer."""
    tag = c.send_command(f"AUTHENTICATE {mechanism}")
    while True:
        line = c.read_response()
        if line.startswith(tag + " "):
            return line
        assert line.startswith("+"), line
        c.send(respond(line[2:] if line.startswith("+ ") else "") + "\r\n")


def test_authenticate_plain_with_a_continuation(imap):
    acct = imap.account()
    c = imap.connect()
    challenges = []

    def respond(challenge):
        challenges.append(challenge)
        return sasl_plain(acct.user, acct.password)

    line = authenticate_with_continuation(c, "PLAIN", respond)
    assert re.match(r"^T\d+ OK\b", line), line
    # PLAIN starts with an empty challenge: "+ " (or "+").
    assert challenges == [""], challenges
    c.select("INBOX")


def test_authenticate_plain_with_initial_response(imap):
    acct = imap.account()
    c = imap.connect()
    r = c.command(f"AUTHENTICATE PLAIN {sasl_plain(acct.user, acct.password)}")
    assert r.ok and r.untagged == [], r
    c.select("INBOX")
    # The mechanism name is case-insensitive; an authorization identity equal to the user is fine.
    c = imap.connect()
    assert c.command(f"authenticate plain {sasl_plain(acct.user, acct.password, authzid=acct.user)}").ok


def test_authenticate_plain_failures(imap):
    acct = imap.account()
    other = imap.account()
    c = imap.connect()
    r = c.command(f"AUTHENTICATE PLAIN {sasl_plain(acct.user, 'wrong')}")
    assert r.status == "NO" and r.code == "AUTHENTICATIONFAILED", r
    assert_not_ok(c.command("SELECT INBOX"))
    # Acting as another account (authorization identity) is not allowed to an ordinary user.
    r = c.command(f"AUTHENTICATE PLAIN {sasl_plain(acct.user, acct.password, authzid=other.user)}")
    assert r.status == "NO", r
    # Not base64 at all.
    r = c.command("AUTHENTICATE PLAIN !!!notbase64!!!")
    assert r.status in ("NO", "BAD"), r
    assert c.command(f"AUTHENTICATE PLAIN {sasl_plain(acct.user, acct.password)}").ok


def test_authenticate_cancelled_by_the_client_is_bad(imap):
    acct = imap.account()
    c = imap.connect()
    line = authenticate_with_continuation(c, "PLAIN", lambda challenge: "*")
    # RFC 3501 6.2.2: a "*" line cancels; the server MUST reject the command with BAD.
    assert re.match(r"^T\d+ BAD\b", line), line
    assert_not_ok(c.command("SELECT INBOX"))
    c.login(acct.user, acct.password)


def test_authenticate_cram_md5(imap):
    acct = imap.account()
    c = imap.connect()
    seen = []

    def respond(challenge):
        seen.append(base64.b64decode(challenge))
        return cram_md5(acct.user, acct.password, challenge)

    line = authenticate_with_continuation(c, "CRAM-MD5", respond)
    assert re.match(r"^T\d+ OK\b", line), line
    # RFC 2195: the challenge is a msg-id like string: <unique@host>.
    assert len(seen) == 1 and re.fullmatch(rb"<[^<>@\s]+@[^<>\s]+>", seen[0]), seen
    c.select("INBOX")
    # Each challenge is new.
    c2 = imap.connect()
    line = authenticate_with_continuation(c2, "CRAM-MD5", respond)
    assert re.match(r"^T\d+ OK\b", line), line
    assert seen[0] != seen[1]


def test_authenticate_cram_md5_wrong_digest_and_short_name(imap):
    acct = imap.account()
    c = imap.connect()
    line = authenticate_with_continuation(c, "CRAM-MD5", lambda ch: cram_md5(acct.user, "wrong", ch))
    assert re.match(r"^T\d+ NO \[AUTHENTICATIONFAILED\]", line), line
    assert_not_ok(c.command("SELECT INBOX"))
    line = authenticate_with_continuation(c, "CRAM-MD5", lambda ch: cram_md5(acct.name, acct.password, ch))
    assert re.match(r"^T\d+ OK\b", line), line


def test_authenticate_unknown_mechanism_is_no(imap):
    c = imap.connect()
    r = c.command("AUTHENTICATE X-NOSUCH-MECH")
    # RFC 3501 6.2.2: "NO - authenticate failure: unsupported authentication mechanism".
    assert r.status == "NO", r
    assert c.command("NOOP").ok


def test_authenticate_plain_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib()
    typ, _ = c.authenticate("PLAIN", lambda _: f"\0{acct.user}\0{acct.password}".encode())
    assert typ == "OK"
    assert c.select("INBOX")[0] == "OK"


def test_login_cram_md5_with_imaplib(imap):
    acct = imap.account()
    c = imap.imaplib()
    typ, _ = c.login_cram_md5(acct.user, acct.password)
    assert typ == "OK"
    assert c.select("INBOX")[0] == "OK"


# --- states ----------------------------------------------------------------------------------

NEEDS_AUTH = [
    "SELECT INBOX", "EXAMINE INBOX", "CREATE Foo", "DELETE Foo", "RENAME Foo Bar", "SUBSCRIBE INBOX",
    "UNSUBSCRIBE INBOX", 'LIST "" *', 'LSUB "" *', "STATUS INBOX (MESSAGES)", "NAMESPACE",
    "ENABLE CONDSTORE", "GETACL INBOX", "MYRIGHTS INBOX", "GETQUOTAROOT INBOX", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "FETCH 1 FLAGS", "UID FETCH 1 FLAGS",
    "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "COPY 1 INBOX", "MOVE 1 INBOX",
]


def test_commands_that_need_authentication_are_refused_before_login(imap):
    acct = imap.account()
    c = imap.connect()
    for command in NEEDS_AUTH:
        r = c.command(command)
        assert r.status in ("NO", "BAD"), (command, r)
        assert not any(l.startswith("+") for l in r.untagged), (command, r)
        assert c.command("NOOP").ok  # (and keeps the count of BADs in a row low)
    # APPEND with a synchronizing literal: refused before or after the data, never OK.
    r = c.command("APPEND INBOX ", Literal(b"Subject: x\r\n\r\nx\r\n"))
    assert r.status in ("NO", "BAD"), r
    # The connection is still usable.
    c.login(acct.user, acct.password)
    r = c.command('STATUS INBOX (MESSAGES)')
    assert r.ok and "MESSAGES 0" in r.data("STATUS")[0], r


NEEDS_SELECTION = [
    "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "UID EXPUNGE 1", "FETCH 1 FLAGS", "UID FETCH 1 FLAGS",
    "STORE 1 +FLAGS (\\Seen)", "UID STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "UID SEARCH ALL", "COPY 1 INBOX",
    "UID COPY 1 INBOX", "MOVE 1 INBOX", "UID MOVE 1 INBOX", "SORT (DATE) UTF-8 ALL",
    "THREAD REFERENCES UTF-8 ALL",
]


def test_selected_state_commands_are_refused_without_a_mailbox(imap):
    acct = imap.account()
    c = imap.connect(acct)
    for command in NEEDS_SELECTION:
        r = c.command(command)
        assert r.status in ("NO", "BAD"), (command, r)
        assert c.command("NOOP").ok


def test_login_and_authenticate_are_refused_once_authenticated(imap):
    acct = imap.account()
    c = imap.connect(acct)
    assert_not_ok(c.command(f"LOGIN {quote(acct.user)} {quote(acct.password)}"))
    assert_not_ok(c.command(f"AUTHENTICATE PLAIN {sasl_plain(acct.user, acct.password)}"))
    c.select("INBOX")
    assert_not_ok(c.command(f"LOGIN {quote(acct.user)} {quote(acct.password)}"))
    assert c.command("NOOP").ok


# --- cleartext over a connection that is not secure ------------------------------------------

def non_loopback_address():
    """An address of this host that is not a loopback one (None when there is none)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.mark.server_settings({"imap.listen": "0.0.0.0"})
def test_cleartext_login_is_disabled_over_a_non_loopback_connection(imap_fresh):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this host has no non-loopback IPv4 address")
    acct = imap_fresh.account()
    c = ImapRaw.connect(address, imap_fresh.server.imap_port)
    imap_fresh.connections.append(c)
    caps = caps_of(greeting_caps(c.greeting))
    assert {"LOGINDISABLED", "STARTTLS"} <= caps, caps
    r = c.command(f"LOGIN {quote(acct.user)} {quote(acct.password)}")
    assert r.status in ("NO", "BAD"), r
    r = c.command(f"AUTHENTICATE PLAIN {sasl_plain(acct.user, acct.password)}")
    assert r.status in ("NO", "BAD"), r
    assert_not_ok(c.command("SELECT INBOX"))
    c.starttls(host=address)
    caps = caps_of(capability(c))
    assert "LOGINDISABLED" not in caps and "STARTTLS" not in caps, caps
    c.login(acct.user, acct.password)
    c.select("INBOX")
