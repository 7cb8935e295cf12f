"""Real mail readers and fetchers against ximssd's IMAP server: fetchmail delivering to an MDA (with
and without keep), mutt driven in batch mode (copy to an mbox, pipe, server-side copy, delete,
flag), and curl's imap:// and imaps:// (LIST, UID fetch, sections, SEARCH, APPEND by upload,
custom EXAMINE, STARTTLS and IMAPS with the server's own certificate). Each client runs with HOME
inside the test's tmp_path; mutt gets its terminal from script(1).
"""

import mailbox
import re
import shlex
import subprocess

import pytest

from imap_clients_support import (append, by_subject, certificate_subject_cn, client_env, create, lf,
                                  mailbox_state, message, openssl_fingerprint, run, server_certificate,
                                  subject_of, utf8_message, write_private)

ALICE, ALICE_PW = "alice@example.dom", "alice-pw-1"


@pytest.fixture
def alice(server):
    server.add_account(ALICE, ALICE_PW)
    return server


def seed(server, mailbox_name, messages):
    """APPENDs {subject: (bytes, flags)}; returns {subject: uid}."""
    conn = server.imap(ALICE, ALICE_PW)
    try:
        return {s: append(conn, mailbox_name, data, flags) for s, (data, flags) in messages.items()}
    finally:
        conn.logout()


def state_flags(server, mailbox_name="INBOX"):
    return {s: f for s, (f, _) in by_subject(mailbox_state(server, ALICE, ALICE_PW, mailbox_name)).items()}


# --- fetchmail ------------------------------------------------------------------------------------

def fetchmail_setup(server, tmp_path, transport, options):
    """A fetchmailrc for alice delivering through an MDA script that writes one file per message.

    transport: "starttls" (the plain port, STARTTLS required) or "imaps". Either way the server's
    certificate is pinned by its fingerprint (it is self-signed and made out to the host name)."""
    out = tmp_path / "delivered"
    out.mkdir(exist_ok=True)
    mda = tmp_path / "mda.sh"
    mda.write_text(f'#!/bin/sh\nset -e\nn=$(ls {out} | wc -l)\ncat > {out}/msg.$(printf %03d "$n")\n')
    mda.chmod(0o755)
    fingerprint = openssl_fingerprint(server_certificate(server), digest="md5").upper()
    fingerprint = ":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2))
    port = server.imaps_port if transport == "imaps" else server.imap_port
    tls = "ssl" if transport == "imaps" else "sslproto 'TLS1.2+'"
    rc = write_private(tmp_path / f"fetchmailrc-{len(list(tmp_path.glob('fetchmailrc-*')))}", f"""\
set no syslog
set invisible
poll {server.host} service {port} protocol IMAP auth password
  user "{ALICE}" password "{ALICE_PW}" is "{client_env(tmp_path)['USER']}" here
  {tls} sslfingerprint "{fingerprint}" no sslcertck
  {options}
  mda "{mda}"
""")
    return rc, out


def delivered(out):
    """{subject: bytes} of what the MDA wrote."""
    result = {}
    for f in sorted(out.iterdir()):
        data = f.read_bytes()
        m = re.search(rb"(?m)^Subject: (.*)$", data)
        assert m, data[:200]
        result[m.group(1).decode()] = data
    return result


FETCH_MESSAGES = {
    "fm-plain": message("fm-plain", "plain body\nFrom the start of a line\n.\n..dots\n"),
    "fm-utf8": utf8_message("fm-utf8"),
    "fm-lf": message("fm-lf", "stored with LF line ends\n", line_end=b"\n"),
}


def test_fetchmail_keep_delivers_every_byte_and_leaves_the_messages(alice, tmp_path):
    seed(alice, "INBOX", {s: (d, ()) for s, d in FETCH_MESSAGES.items()})
    env = client_env(tmp_path)
    rc, out = fetchmail_setup(alice, tmp_path, "starttls", "keep")
    run(["fetchmail", "-f", rc, "--nodetach"], env)
    got = delivered(out)
    # The MDA gets each message as stored, with LF line ends, nothing added (set invisible).
    assert got == {s: lf(d) for s, d in FETCH_MESSAGES.items()}
    # keep: all still on the server, unchanged, and now \Seen.
    state = by_subject(mailbox_state(alice, ALICE, ALICE_PW))
    assert {s: f for s, (f, _) in state.items()} == {s: {r"\Seen"} for s in FETCH_MESSAGES}
    assert {s: d for s, (_, d) in state.items()} == FETCH_MESSAGES
    # A second poll finds nothing new (fetchmail's exit code 1: no mail) and delivers nothing.
    run(["fetchmail", "-f", rc, "--nodetach"], env, expect=(1,))
    assert len(list(out.iterdir())) == len(FETCH_MESSAGES)


def test_fetchmail_without_keep_deletes_from_the_server(alice, tmp_path):
    messages = dict(FETCH_MESSAGES)
    messages["fm-seen"] = message("fm-seen", "already read\n")
    seed(alice, "INBOX", {s: (d, [r"\Seen"] if s == "fm-seen" else ()) for s, d in messages.items()})
    env = client_env(tmp_path)

    # Without fetchall only the unseen messages are fetched, and then deleted.
    rc, out = fetchmail_setup(alice, tmp_path, "imaps", "nokeep")
    run(["fetchmail", "-f", rc, "--nodetach"], env)
    assert delivered(out) == {s: lf(d) for s, d in FETCH_MESSAGES.items()}
    assert state_flags(alice) == {"fm-seen": {r"\Seen"}}

    # fetchall takes the seen one too; the INBOX is then empty.
    rc, _ = fetchmail_setup(alice, tmp_path, "imaps", "nokeep fetchall")
    run(["fetchmail", "-f", rc, "--nodetach"], env)
    assert delivered(out) == {s: lf(d) for s, d in messages.items()}
    assert mailbox_state(alice, ALICE, ALICE_PW) == {}
    conn = alice.imap(ALICE, ALICE_PW)
    typ, data = conn.status("INBOX", "(MESSAGES)")
    assert typ == "OK" and re.search(rb"MESSAGES 0\b", data[0]), data


# --- mutt ---------------------------------------------------------------------------------------------

def run_mutt(server, tmp_path, folder_url, actions, extra_settings=""):
    """Runs mutt on `folder_url` with a pty from script(1); `actions` is a push string."""
    rc = write_private(tmp_path / "muttrc", f"""\
set imap_user = "{ALICE}"
set imap_pass = "{ALICE_PW}"
set folder = "{folder_url.rsplit('/', 1)[0]}/"
set spoolfile = "{folder_url}"
set ssl_starttls = no
set ssl_force_tls = no
set mbox_type = mbox
set confirmcreate = no
set confirmappend = no
set quit = yes
set move = no
set delete = yes
set beep = no
set wait_key = no
set pipe_decode = no
set pipe_split = yes
set header_cache = ""
set message_cachedir = ""
set sort = date
set record = ""
{extra_settings}
push "{actions}"
""")
    env = client_env(tmp_path, TERM="vt100")
    command = shlex.join(["mutt", "-n", "-F", str(rc), "-f", folder_url])
    try:
        cp = run(["script", "-qec", command, "/dev/null"], env, timeout=120)
    except subprocess.TimeoutExpired as e:  # waiting at a prompt: show the screen
        pytest.fail(f"mutt did not finish; its screen:\n{screen_text(e.stdout)}")
    return screen_text(cp.stdout)


def screen_text(data):
    """What mutt wrote to its terminal, without the escape sequences (for failure messages)."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]|[\x0e\x0f]", "", (data or b"").decode(errors="replace"))
    return re.sub(r"[\r\x08]+", "\n", text)[-3000:]


MUTT_MESSAGES = {
    "mutt-alpha": (message("mutt-alpha", "alpha body\n", date="Mon, 01 Jan 2024 10:00:01 +0000"), ()),
    "mutt-bravo": (message("mutt-bravo", "bravo body\nsecond line\n", date="Mon, 01 Jan 2024 10:00:02 +0000"),
                   (r"\Flagged",)),
    "mutt-charlie": (utf8_message("mutt-charlie"), (r"\Seen",)),
}


def test_mutt_batch_copies_to_mbox_pipes_and_copies_on_the_server(alice, tmp_path):
    uids = seed(alice, "INBOX", MUTT_MESSAGES)
    create_conn = alice.imap(ALICE, ALICE_PW)
    create(create_conn, "Archive")
    create_conn.logout()
    mbox_path, piped = tmp_path / "saved.mbox", tmp_path / "piped.eml"
    actions = (f"<tag-pattern>~A<enter><tag-prefix><copy-message>{mbox_path}<enter><untag-pattern>~A<enter>"
               f"<limit>~s mutt-bravo<enter><pipe-message>cat > {piped}<enter>"
               f"<copy-message>=Archive<enter><quit>")
    screen = run_mutt(alice, tmp_path, f"imap://{alice.host}:{alice.imap_port}/INBOX", actions)
    assert mbox_path.exists(), f"mutt saved nothing; its screen:\n{screen}"

    # Every message in the mbox: its header lines (mutt adds Status, Content-Length, Lines) and its body.
    box = mailbox.mbox(mbox_path)
    saved = {subject_of(box.get_bytes(key)): box.get_bytes(key) for key in box.keys()}
    assert set(saved) == set(MUTT_MESSAGES)
    for subject, (data, _) in MUTT_MESSAGES.items():
        head, _, body = lf(data).partition(b"\n\n")
        saved_head, _, saved_body = saved[subject].partition(b"\n\n")
        assert set(head.split(b"\n")) <= set(saved_head.split(b"\n")), (subject, saved_head)
        assert saved_body == body, subject
    # The pipe gets the message as fetched, undecoded.
    assert piped.read_bytes() == lf(MUTT_MESSAGES["mutt-bravo"][0])
    # <copy-message>=Archive is a server-side COPY: same bytes, flags kept.
    [(flags, data)] = mailbox_state(alice, ALICE, ALICE_PW, "Archive").values()
    assert data == MUTT_MESSAGES["mutt-bravo"][0] and r"\Flagged" in flags
    # Nothing was deleted from the INBOX.
    assert set(mailbox_state(alice, ALICE, ALICE_PW)) == set(uids.values())


def test_mutt_over_imaps_deletes_and_flags(alice, tmp_path):
    messages = {s: (d, ()) for s, (d, _) in MUTT_MESSAGES.items()}
    seed(alice, "INBOX", messages)
    # The server's certificate is trusted as a stored certificate; it is made out to the host
    # name, not to 127.0.0.1, so the host name check is off.
    settings = f'set certificate_file = "{server_certificate(alice)}"\nset ssl_verify_host = no\n'
    # AUTHENTICATE PLAIN with its initial response (SASL-IR); the other test takes mutt's default.
    settings += 'set imap_authenticators = "plain"\n'
    actions = ("<delete-pattern>~s mutt-alpha<enter><tag-pattern>~s mutt-bravo<enter>"
               "<tag-prefix><flag-message><sync-mailbox><quit>")
    screen = run_mutt(alice, tmp_path, f"imaps://{alice.host}:{alice.imaps_port}/INBOX", actions, settings)
    state = by_subject(mailbox_state(alice, ALICE, ALICE_PW))
    assert set(state) == {"mutt-bravo", "mutt-charlie"}, screen  # deleted and expunged
    assert r"\Flagged" in state["mutt-bravo"][0]
    assert r"\Flagged" not in state["mutt-charlie"][0]
    assert state["mutt-bravo"][1] == messages["mutt-bravo"][0]


# --- curl ------------------------------------------------------------------------------------------------

CURL_MESSAGES = {
    "curl-crlf": (message("curl-crlf", "CRLF line ends\nsecond line\n"), ()),
    "curl-lf": (message("curl-lf", "LF line ends, kept as sent\n", line_end=b"\n"), (r"\Seen",)),
    "curl-utf8": (utf8_message("curl-utf8"), (r"\Flagged",)),
}


def curl(server, path, *args, user=ALICE, password=ALICE_PW, scheme="imap", expect=(0,), env=None, host=None):
    port = server.imaps_port if scheme == "imaps" else server.imap_port
    url = f"{scheme}://{host or server.host}:{port}/{path}"
    return run(["curl", "-sS", "--user", f"{user}:{password}", *args, url], env, expect=expect).stdout


def uidvalidity(server):
    conn = server.imap(ALICE, ALICE_PW)
    try:
        typ, data = conn.status("INBOX", "(UIDVALIDITY)")
        assert typ == "OK", data
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
    finally:
        conn.logout()


def test_curl_list_fetch_search_append_and_examine(alice, tmp_path):
    uids = seed(alice, "INBOX", CURL_MESSAGES)
    conn = alice.imap(ALICE, ALICE_PW)
    for name in ("Work", "Lists/Dev", "Entw&APw-rfe"):  # the last is "Entwürfe" in modified UTF-7
        create(conn, name)
    conn.logout()
    env = client_env(tmp_path)

    # LIST "" *: every mailbox with the "/" delimiter, names in modified UTF-7 on the wire.
    listing = curl(alice, "", env=env).decode()
    names = set(re.findall(r'^\* LIST \([^)]*\) "/" "?([^"\r\n]+)"?\r?$', listing, re.M))
    assert {"INBOX", "Work", "Lists/Dev", "Entw&APw-rfe"} <= names, listing

    # SEARCH through the URL's query.
    found = curl(alice, "INBOX?SUBJECT%20curl-lf", env=env).decode()
    assert re.fullmatch(r"\* SEARCH 2\r?\n", found), found
    found = curl(alice, "INBOX?UNSEEN", env=env).decode()
    assert sorted(found.split()[2:]) == ["1", "3"], found

    # A message by UID: exactly the bytes APPENDed, CRLF or LF as they were sent.
    for subject, (data, _) in CURL_MESSAGES.items():
        assert curl(alice, f"INBOX/;UID={uids[subject]}", env=env) == data, subject
    # With the mailbox's UIDVALIDITY, and a section.
    validity = uidvalidity(alice)
    data = CURL_MESSAGES["curl-utf8"][0]
    text = curl(alice, f"INBOX;UIDVALIDITY={validity}/;UID={uids['curl-utf8']};SECTION=TEXT", env=env)
    assert text == data.partition(b"\r\n\r\n")[2]
    subject_field = curl(alice, f"INBOX/;UID={uids['curl-utf8']};SECTION=HEADER.FIELDS%20(SUBJECT)", env=env)
    assert subject_field == b"Subject: curl-utf8\r\n\r\n"
    # A stale UIDVALIDITY or an unknown UID is refused (curl's error 78).
    curl(alice, f"INBOX;UIDVALIDITY={validity + 1}/;UID={uids['curl-crlf']}", env=env, expect=(78,))
    curl(alice, "INBOX/;UID=999", env=env, expect=(78,))

    # Fetching BODY[] (not PEEK) set \Seen on each: nothing is unseen now.
    found = curl(alice, "INBOX?UNSEEN", env=env).decode()
    assert re.fullmatch(r"\* SEARCH\r?\n", found), found

    # APPEND by upload: stored byte for byte (curl appends with \Seen).
    upload = message("curl-upload", "uploaded by curl\n")
    (tmp_path / "upload.eml").write_bytes(upload)
    curl(alice, "Work", "-T", tmp_path / "upload.eml", env=env)
    [(flags, stored)] = mailbox_state(alice, ALICE, ALICE_PW, "Work").values()
    assert stored == upload and flags == {r"\Seen"}

    # A custom command: EXAMINE shows the mailbox's counters as untagged responses.
    examined = curl(alice, "INBOX", "-X", "EXAMINE INBOX", env=env).decode()
    assert re.search(r"^\* 3 EXISTS\r?$", examined, re.M), examined
    assert re.search(rf"^\* OK \[UIDVALIDITY {validity}\]", examined, re.M), examined
    assert re.search(rf"^\* OK \[UIDNEXT {max(uids.values()) + 1}\]", examined, re.M), examined

    # A wrong password: login denied (curl's error 67).
    curl(alice, "", password="wrong", env=env, expect=(67,))


def test_curl_imaps_and_starttls_with_the_servers_certificate(alice, tmp_path):
    uids = seed(alice, "INBOX", CURL_MESSAGES)
    env = client_env(tmp_path)
    cert = server_certificate(alice)
    name = certificate_subject_cn(cert)  # the generated certificate is made out to the host name
    data = CURL_MESSAGES["curl-utf8"][0]

    # IMAPS without verification.
    assert curl(alice, f"INBOX/;UID={uids['curl-utf8']}", "-k", scheme="imaps", env=env) == data
    listing = curl(alice, "", "-k", scheme="imaps", env=env).decode()
    assert re.search(r'^\* LIST \([^)]*\) "/" "?INBOX"?\r?$', listing, re.M), listing
    # IMAPS verified against the generated certificate, reached under the name it is made out to.
    verified = ["--cacert", cert, "--resolve", f"{name}:{alice.imaps_port}:{alice.host}"]
    assert curl(alice, f"INBOX/;UID={uids['curl-utf8']}", *verified, scheme="imaps", env=env, host=name) == data
    # STARTTLS on the plain port, required and verified the same way.
    verified = ["--ssl-reqd", "--cacert", cert, "--resolve", f"{name}:{alice.imap_port}:{alice.host}"]
    assert curl(alice, f"INBOX/;UID={uids['curl-crlf']}", *verified, env=env, host=name) == CURL_MESSAGES[
        "curl-crlf"][0]
    # An upload over IMAPS.
    upload = message("curl-imaps-upload", "over TLS\n")
    (tmp_path / "upload.eml").write_bytes(upload)
    curl(alice, "INBOX", "-k", "-T", tmp_path / "upload.eml", scheme="imaps", env=env)
    assert by_subject(mailbox_state(alice, ALICE, ALICE_PW))["curl-imaps-upload"][1] == upload
