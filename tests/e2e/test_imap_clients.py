"""Real synchronisation clients drive ximssd's IMAP server as a user's machine would: mbsync (isync)
and offlineimap3 keep a Maildir in step with the server in both directions (new messages, flags,
deletions, folders), and interimap replicates one account into another over QRESYNC, the second
run fetching only what changed. Each client runs with HOME inside the test's tmp_path.

fetchmail, mutt and curl are in test_imap_clients_readers.py; IMAP against XIMSS in
test_imap_cross_protocol.py.
"""

import base64
import re

import pytest

from imap_clients_support import (append, by_subject, client_env, create, lf, mailbox_names, mailbox_state,
                                  maildir, maildir_deliver, maildir_set_flags, message, openssl_fingerprint,
                                  output, quote, run, server_certificate, utf8_message, write_private)

ALICE, ALICE_PW = "alice@example.dom", "alice-pw-1"
BOB, BOB_PW = "bob@example.dom", "bob-pw-1"


def big_message(subject):
    """About 300 KB: a text part and a base64 attachment (a literal far larger than one read)."""
    blob = base64.encodebytes(bytes(range(256)) * 900).decode()
    body = ("--b1\nContent-Type: text/plain; charset=us-ascii\n\nSee the attachment.\n"
            "--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
            "Content-Disposition: attachment; filename=blob.bin\n\n" + blob + "--b1--\n")
    return message(subject, body, extra_headers=["MIME-Version: 1.0",
                                                 'Content-Type: multipart/mixed; boundary="b1"'])


def drop_x_tuid(data):
    """mbsync marks each message it copies with an X-TUID header line; the rest must be untouched."""
    return re.sub(rb"(?m)^X-TUID: [^\r\n]*\r?\n", b"", data, count=1)


def mark_deleted_and_expunge(conn, mailbox, uid):
    assert conn.select(quote(mailbox))[0] == "OK"
    assert conn.uid("STORE", str(uid), "+FLAGS", r"(\Deleted)")[0] == "OK"
    assert conn.expunge()[0] == "OK"


def uid_of(state, subject):
    [uid] = [u for u, (_, data) in state.items() if f"Subject: {subject}".encode() in data]
    return uid


# --- mbsync ----------------------------------------------------------------------------------------

def mbsync_rc(server, tmp_path, mode, certificate=True):
    """An mbsyncrc for alice; mode: plain (no TLS), starttls or imaps."""
    port = server.imaps_port if mode == "imaps" else server.imap_port
    tls = {"plain": "SSLType None\nAuthMechs LOGIN",
           "starttls": "SSLType STARTTLS\nAuthMechs PLAIN",
           "imaps": "SSLType IMAPS\nAuthMechs PLAIN"}[mode]
    if certificate and mode != "plain":
        tls += f"\nCertificateFile {server_certificate(server)}"
    mail = tmp_path / "mail"
    mail.mkdir(exist_ok=True)
    return write_private(tmp_path / f"mbsyncrc-{mode}-{int(certificate)}", f"""\
IMAPAccount ximssd
Host {server.host}
Port {port}
User {ALICE}
Pass {ALICE_PW}
{tls}

IMAPStore ximssd-far
Account ximssd

MaildirStore local-near
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel sync
Far :ximssd-far:
Near :local-near:
Patterns *
Create Both
Remove None
Expunge Both
SyncState *
""")


@pytest.mark.parametrize("mode", ["plain", "starttls", "imaps"])
def test_mbsync_two_way_maildir_sync(server, tmp_path, mode):
    server.add_account(ALICE, ALICE_PW)
    originals = {
        "mb-plain": message("mb-plain", "plain body\n"),
        "mb-seen": utf8_message("mb-seen"),
        "mb-flagged": message("mb-flagged", "flagged and answered\n"),
        "mb-big": big_message("mb-big"),
        "mb-work": message("mb-work", "in Work\n"),
        "mb-dev": message("mb-dev", "in Lists/Dev\n"),
    }
    conn = server.imap(ALICE, ALICE_PW)
    append(conn, "INBOX", originals["mb-plain"])
    append(conn, "INBOX", originals["mb-seen"], [r"\Seen"])
    append(conn, "INBOX", originals["mb-flagged"], [r"\Flagged", r"\Answered"])
    append(conn, "INBOX", originals["mb-big"])
    create(conn, "Work")
    create(conn, "Lists/Dev")
    append(conn, "Work", originals["mb-work"], [r"\Seen"])
    append(conn, "Lists/Dev", originals["mb-dev"])
    conn.logout()

    env = client_env(tmp_path)
    rc = mbsync_rc(server, tmp_path, mode)
    mail = tmp_path / "mail"
    if mode != "plain":
        # Without the server's certificate, mbsync must refuse it: the TLS really is checked,
        # and the certificate ximssd serves is the one in DATA/tls/cert.pem.
        cp = run(["mbsync", "-c", mbsync_rc(server, tmp_path, mode, certificate=False), "-a"], env, expect=(1,))
        assert "certificate" in output(cp).lower(), output(cp)

    # 1. Server -> Maildir: every message byte for byte (LF line ends), flags, folders.
    run(["mbsync", "-c", rc, "-a"], env)
    inbox = maildir(mail / "INBOX")
    assert set(inbox) == {"mb-plain", "mb-seen", "mb-flagged", "mb-big"}
    assert {s: f for s, (f, _, _) in inbox.items()} == {"mb-plain": "", "mb-seen": "S", "mb-flagged": "FR",
                                                        "mb-big": ""}
    for subject, (_, data, _) in inbox.items():
        assert drop_x_tuid(data) == lf(originals[subject]), subject
    [(flags, data, _)] = maildir(mail / "Work").values()
    assert flags == "S" and drop_x_tuid(data) == lf(originals["mb-work"])
    [(flags, data, _)] = maildir(mail / "Lists" / "Dev").values()
    assert flags == "" and drop_x_tuid(data) == lf(originals["mb-dev"])

    # 2. Maildir -> server: a new message, one new with flags, a flag added, a deletion, a new folder.
    local_new = message("mb-local", "written in the Maildir\n", line_end=b"\n")
    local_flagged = message("mb-local-flagged", "flagged locally\n", line_end=b"\n")
    local_folder = message("mb-local-folder", "in a folder made locally\n", line_end=b"\n")
    maildir_deliver(mail / "INBOX", local_new, "new1")
    maildir_deliver(mail / "INBOX", local_flagged, "new2", flags="FS")
    maildir_set_flags(inbox["mb-plain"][2], "F")
    inbox["mb-seen"][2].unlink()
    maildir_deliver(mail / "Local", local_folder, "new3")
    run(["mbsync", "-c", rc, "-a"], env)

    server_inbox = by_subject(mailbox_state(server, ALICE, ALICE_PW))
    assert set(server_inbox) == {"mb-plain", "mb-flagged", "mb-big", "mb-local", "mb-local-flagged"}
    assert server_inbox["mb-plain"][0] == {r"\Flagged"}
    assert server_inbox["mb-flagged"][0] == {r"\Flagged", r"\Answered"}
    assert server_inbox["mb-local"][0] == set()
    assert server_inbox["mb-local-flagged"][0] == {r"\Flagged", r"\Seen"}
    # mbsync uploads with CRLF line ends (and its X-TUID line): otherwise the bytes it had.
    assert drop_x_tuid(server_inbox["mb-local"][1]) == local_new.replace(b"\n", b"\r\n")
    assert drop_x_tuid(server_inbox["mb-local-flagged"][1]) == local_flagged.replace(b"\n", b"\r\n")
    assert server_inbox["mb-plain"][1] == originals["mb-plain"]  # a flag change leaves the bytes alone
    assert "Local" in mailbox_names(server, ALICE, ALICE_PW)
    [(_, data)] = mailbox_state(server, ALICE, ALICE_PW, "Local").values()
    assert drop_x_tuid(data) == local_folder.replace(b"\n", b"\r\n")

    # 3. Server -> Maildir again: a flag change, an expunge and a new message in another folder.
    conn = server.imap(ALICE, ALICE_PW)
    state = mailbox_state(server, ALICE, ALICE_PW)
    assert conn.select("INBOX")[0] == "OK"
    uid = uid_of(state, "mb-flagged")
    assert conn.uid("STORE", str(uid), "+FLAGS", r"(\Seen)")[0] == "OK"
    assert conn.uid("STORE", str(uid), "-FLAGS", r"(\Answered)")[0] == "OK"
    mark_deleted_and_expunge(conn, "INBOX", uid_of(state, "mb-plain"))
    late = message("mb-server-late", "arrived later\n")
    append(conn, "Work", late)
    conn.logout()
    run(["mbsync", "-c", rc, "-a"], env)
    inbox = maildir(mail / "INBOX")
    assert set(inbox) == {"mb-flagged", "mb-big", "mb-local", "mb-local-flagged"}
    assert inbox["mb-flagged"][0] == "FS"
    work = maildir(mail / "Work")
    assert set(work) == {"mb-work", "mb-server-late"} and drop_x_tuid(work["mb-server-late"][1]) == lf(late)

    # 4. Nothing changed on either side: another run changes nothing.
    before = {p.relative_to(mail) for p in mail.rglob("*") if p.is_file() and not p.name.startswith(".")}
    run(["mbsync", "-c", rc, "-a"], env)
    after = {p.relative_to(mail) for p in mail.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert after == before
    assert set(by_subject(mailbox_state(server, ALICE, ALICE_PW))) == set(inbox)


# --- offlineimap ---------------------------------------------------------------------------------

def offlineimap_rc(server, tmp_path):
    return write_private(tmp_path / "offlineimaprc", f"""\
[general]
accounts = ximssd
metadata = {tmp_path / "offlineimap-meta"}
ui = quiet

[Account ximssd]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {tmp_path / "mail"}

[Repository remote]
type = IMAP
remotehost = {server.host}
remoteport = {server.imap_port}
remoteuser = {BOB}
remotepass = {BOB_PW}
ssl = no
starttls = no
""")


def run_offlineimap(rc, env):
    cp = run(["offlineimap", "-c", rc, "-o", "-u", "quiet"], env)
    assert "ERROR" not in output(cp), output(cp)
    return cp


def test_offlineimap_sync_to_maildir_and_back(server, tmp_path):
    server.add_account(BOB, BOB_PW)
    originals = {
        "oi-a": message("oi-a", "first\n"),
        "oi-b": message("oi-b", "second, flagged\n"),
        "oi-utf8": utf8_message("oi-utf8"),
        "oi-work": message("oi-work", "work item\n"),
    }
    conn = server.imap(BOB, BOB_PW)
    append(conn, "INBOX", originals["oi-a"])
    append(conn, "INBOX", originals["oi-b"], [r"\Flagged"])
    append(conn, "INBOX", originals["oi-utf8"], [r"\Seen"])
    create(conn, "Work")
    append(conn, "Work", originals["oi-work"], [r"\Seen", r"\Answered"])
    conn.logout()
    env = client_env(tmp_path)
    rc = offlineimap_rc(server, tmp_path)
    mail = tmp_path / "mail"

    # Server -> Maildir.
    run_offlineimap(rc, env)
    inbox = maildir(mail / "INBOX")
    assert {s: f for s, (f, _, _) in inbox.items()} == {"oi-a": "", "oi-b": "F", "oi-utf8": "S"}
    for subject, (_, data, _) in inbox.items():
        assert data == lf(originals[subject]), subject
    work = maildir(mail / "Work")
    assert {s: (f, d) for s, (f, d, _) in work.items()} == {"oi-work": ("RS", lf(originals["oi-work"]))}

    # Maildir -> server: a new message, a flag set, a deletion.
    local_new = message("oi-local", "composed offline\n", line_end=b"\n")
    maildir_deliver(mail / "INBOX", local_new, "oi1")
    maildir_set_flags(inbox["oi-a"][2], "S")
    inbox["oi-b"][2].unlink()
    run_offlineimap(rc, env)
    server_inbox = by_subject(mailbox_state(server, BOB, BOB_PW))
    assert {s: f for s, (f, _) in server_inbox.items()} == {
        "oi-a": {r"\Seen"}, "oi-utf8": {r"\Seen"}, "oi-local": set()}
    assert server_inbox["oi-local"][1] == local_new.replace(b"\n", b"\r\n")
    assert server_inbox["oi-utf8"][1] == originals["oi-utf8"]

    # A flag set on the server comes back to the Maildir.
    conn = server.imap(BOB, BOB_PW)
    assert conn.select("INBOX")[0] == "OK"
    uid = uid_of(mailbox_state(server, BOB, BOB_PW), "oi-local")
    assert conn.uid("STORE", str(uid), "+FLAGS", r"(\Flagged)")[0] == "OK"
    conn.logout()
    run_offlineimap(rc, env)
    inbox = maildir(mail / "INBOX")
    assert {s: f for s, (f, _, _) in inbox.items()} == {"oi-a": "S", "oi-utf8": "S", "oi-local": "F"}


# --- interimap ---------------------------------------------------------------------------------------

def interimap_config(server, tmp_path):
    """alice is the local side (plain IMAP), bob the remote one (IMAPS, the server's key pinned;
    interimap asks for COMPRESS=DEFLATE on the remote side)."""
    spki = openssl_fingerprint(server_certificate(server), spki=True)
    return write_private(tmp_path / "interimap.conf", f"""\
database = {tmp_path / "interimap.db"}

[local]
type = imap
host = {server.host}
port = {server.imap_port}
STARTTLS = NO
username = {ALICE}
password = {ALICE_PW}

[remote]
type = imaps
host = {server.host}
port = {server.imaps_port}
SSL_verify = NO
SSL_fingerprint = sha256${spki}
username = {BOB}
password = {BOB_PW}
""")


def run_interimap(config, env):
    cp = run(["interimap", f"--config={config}", "--debug"], env)
    return output(cp)


def internal_dates(server, user, password, mailbox="INBOX"):
    conn = server.imap(user, password)
    try:
        assert conn.select(quote(mailbox), readonly=True)[0] == "OK"
        typ, data = conn.uid("FETCH", "1:*", "(INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK", data
        out = {}
        for item in data:
            if isinstance(item, tuple):
                subject = item[1].decode().strip().removeprefix("Subject: ")
                out[subject] = re.search(rb'INTERNALDATE "([^"]+)"', item[0]).group(1).decode()
        return out
    finally:
        conn.logout()


def flags_by_subject(server, user, password, mailbox="INBOX"):
    return {s: f for s, (f, _) in by_subject(mailbox_state(server, user, password, mailbox)).items()}


def test_interimap_qresync_replication(server, tmp_path):
    server.add_account(ALICE, ALICE_PW)
    server.add_account(BOB, BOB_PW)
    remote = {"ii-a": message("ii-a", "remote a\n"), "ii-b": message("ii-b", "remote b\n"),
              "ii-kw": utf8_message("ii-kw"), "ii-dev": message("ii-dev", "remote dev\n")}
    local = {"ii-local": message("ii-local", "local one\n")}
    bob = server.imap(BOB, BOB_PW)
    append(bob, "INBOX", remote["ii-a"])
    append(bob, "INBOX", remote["ii-b"], [r"\Flagged"])
    append(bob, "INBOX", remote["ii-kw"], [r"\Seen", "$Label1"])
    create(bob, "Lists/Dev")
    append(bob, "Lists/Dev", remote["ii-dev"], [r"\Seen"])
    bob.logout()
    alice = server.imap(ALICE, ALICE_PW)
    append(alice, "INBOX", local["ii-local"], [r"\Answered"])
    alice.logout()
    env = client_env(tmp_path)
    config = interimap_config(server, tmp_path)

    # First run: everything both ways, with flags, keywords and internal dates.
    log1 = run_interimap(config, env)
    assert re.search(r"^remote: S: \* ENABLED (\S+ )*QRESYNC\b", log1, re.M), log1
    expected = {"ii-a": set(), "ii-b": {r"\Flagged"}, "ii-kw": {r"\Seen", "$Label1"}, "ii-local": {r"\Answered"}}
    assert flags_by_subject(server, ALICE, ALICE_PW) == expected
    assert flags_by_subject(server, BOB, BOB_PW) == expected
    alice_inbox = by_subject(mailbox_state(server, ALICE, ALICE_PW))
    bob_inbox = by_subject(mailbox_state(server, BOB, BOB_PW))
    for subject, data in {**remote, **local}.items():
        if subject != "ii-dev":
            assert alice_inbox[subject][1] == data and bob_inbox[subject][1] == data, subject
    assert internal_dates(server, ALICE, ALICE_PW) == internal_dates(server, BOB, BOB_PW)
    assert "Lists/Dev" in mailbox_names(server, ALICE, ALICE_PW)
    assert flags_by_subject(server, ALICE, ALICE_PW, "Lists/Dev") == {"ii-dev": {r"\Seen"}}

    # Changes on both sides: a flag and an expunge on the remote, a new message on the local.
    bob = server.imap(BOB, BOB_PW)
    state = mailbox_state(server, BOB, BOB_PW)
    assert bob.select("INBOX")[0] == "OK"
    assert bob.uid("STORE", str(uid_of(state, "ii-a")), "+FLAGS", r"(\Seen)")[0] == "OK"
    mark_deleted_and_expunge(bob, "INBOX", uid_of(state, "ii-b"))
    bob.logout()
    alice = server.imap(ALICE, ALICE_PW)
    local2 = message("ii-local-2", "local two\n")
    append(alice, "INBOX", local2, [r"\Flagged"])
    alice.logout()

    # Second run: QRESYNC SELECTs report only what changed; no message that was already
    # replicated is fetched again.
    log2 = run_interimap(config, env)
    expected = {"ii-a": {r"\Seen"}, "ii-kw": {r"\Seen", "$Label1"}, "ii-local": {r"\Answered"},
                "ii-local-2": {r"\Flagged"}}
    assert flags_by_subject(server, ALICE, ALICE_PW) == expected
    assert flags_by_subject(server, BOB, BOB_PW) == expected
    assert by_subject(mailbox_state(server, BOB, BOB_PW))["ii-local-2"][1] == local2
    side = r"^(local|remote)(?:\([^)]*\))?: "
    selects = re.findall(side + r"C: \S+ SELECT (\S+) \(QRESYNC \(\d+ \d+", log2, re.M)
    assert {("local", "INBOX"), ("remote", "INBOX")} <= set(selects), log2
    # The remote's SELECT reports the expunge as VANISHED (EARLIER) and the flag change as FETCH.
    assert re.search(r"^remote(?:\(INBOX\))?: S: \* VANISHED \(EARLIER\) \d+", log2, re.M), log2
    assert re.search(r"^remote(?:\(INBOX\))?: S: \* \d+ FETCH \(.*FLAGS \(\\Seen\)", log2, re.M), log2
    # Exactly one message body crossed: the new local one.
    assert re.findall(side + r"S: \* \d+ FETCH \(.*BODY\[\] \{", log2, re.M) == ["local"], log2
    # Lists/Dev did not change: its LIST-STATUS values matched the database (the HIGHESTMODSEQ
    # the server announced after run 1's APPEND), so it was not even selected.
    assert "Lists/Dev" not in re.findall(r"C: \S+ SELECT (\S+)", log2), log2

    # Third run, nothing changed: nothing is selected, fetched, appended, stored or expunged.
    log3 = run_interimap(config, env)
    assert not re.search(r"C: \S+ (SELECT|APPEND|UID STORE|UID EXPUNGE) |BODY\[\] \{", log3), log3
    assert flags_by_subject(server, ALICE, ALICE_PW) == expected
    assert flags_by_subject(server, BOB, BOB_PW) == expected
