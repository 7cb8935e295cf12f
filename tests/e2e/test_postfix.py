"""A real Postfix (Debian's) in front of ximssd: mail sent to Postfix over SMTP is relayed over
LMTP (virtual_transport = lmtp:inet:...) into the ximssd INBOX, where it wakes an open XIMSS
Folder View (notify) and an IMAP IDLE session (EXISTS); an unknown recipient gets ximssd's
550 5.1.1, which makes Postfix bounce the message: the bounce comes back to the (local) sender
over LMTP too.

Postfix runs as a private instance with its own configuration, queue and data directories under
the test's tmp dir (`postfix -c DIR start`), on loopback only; it is stopped at teardown."""

import os
import re
import shutil
import signal
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from imap_raw import ImapRaw, message
from server_harness import DEFAULT_DOMAIN, POSTMASTER, free_port

POSTFIX = "/usr/sbin/postfix"
WAIT = 30  # Postfix's queue manager hands a message to LMTP within a second or two

pytestmark = pytest.mark.skipif(not (os.path.exists(POSTFIX) and os.geteuid() == 0),
                                reason="needs Debian's postfix (scripts/bootstrap) and root")

MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mta.test
mydomain = mta.test
myorigin = mta.test
mydestination =
local_recipient_maps =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = {domain}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
lmtp_host_lookup = native
smtp_host_lookup = native
smtpd_peername_lookup = no
alias_maps =
alias_database =
biff = no
maillog_file_prefixes = {dir}
maillog_file = {dir}/maillog
"""


class Postfix:
    def __init__(self, directory, lmtp_port):
        self.dir = Path(directory)
        self.smtp_port = free_port()
        self.lmtp_port = lmtp_port
        self.master_pid = None

    def run(self, *args):
        return subprocess.run([POSTFIX, "-c", str(self.dir), *args], capture_output=True, text=True, timeout=60)

    def start(self):
        (self.dir / "queue").mkdir(parents=True)
        # Postfix's daemons open files under these directories as the postfix user: let it
        # through pytest's private (0700) directories, traversal only.
        for parent in [self.dir, *self.dir.parents]:
            if parent == Path("/tmp") or parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
        data = self.dir / "data"
        data.mkdir()
        shutil.chown(data, "postfix", "postfix")
        (self.dir / "main.cf").write_text(MAIN_CF.format(dir=self.dir, domain=DEFAULT_DOMAIN, lmtp_port=self.lmtp_port))
        (self.dir / "master.cf").write_text(MASTER_CF.format(smtp_port=self.smtp_port))
        cp = self.run("start")
        assert cp.returncode == 0, f"postfix start failed:\n{cp.stdout}{cp.stderr}\n{self.log()}"
        self.master_pid = int((self.dir / "queue" / "pid" / "master.pid").read_text().split()[0])
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:  # ready when its smtpd listens
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=5) as s:
                    s.noop()
                return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"postfix's smtpd does not answer:\n{self.log()}")

    def stop(self):
        self.run("stop")
        if self.master_pid is None:
            return
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and alive(self.master_pid):
            time.sleep(0.2)
        if alive(self.master_pid):  # never leave our master behind
            os.kill(self.master_pid, signal.SIGKILL)

    def log(self):
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_log(self, pattern):
        rx = re.compile(pattern)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            m = rx.search(self.log())
            if m:
                return m
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} in Postfix's log:\n{self.log()[-4000:]}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture
def postfix(server, tmp_path):
    p = Postfix(tmp_path / "postfix", server.lmtp_port)
    try:
        yield p.start()
    finally:
        p.stop()


def wait_for_line(c, pattern):
    rx = re.compile(pattern)
    return c.read_until(lambda l: rx.search(l) is not None, timeout=WAIT)[-1]


def test_mail_through_postfix_lands_in_the_inbox_and_wakes_the_views(server, postfix):
    user, password = f"alice@{DEFAULT_DOMAIN}", "alice-pw-1"
    server.add_account(user, password)
    x = server.login(user, password)
    assert x.request("folderOpen", {"folder": "INBOX", "mailbox": "INBOX"}, body="<field>Subject</field>").ok
    i = ImapRaw.connect(server.host, server.imap_port)
    i.login(user, password)
    assert i.select("INBOX").ok
    tag = i.idle()

    body = message(subject="through Postfix", body="Relayed by Postfix over LMTP.\r\n.dot line\r\n",
                   message_id="<postfix-test-1@remote.example>")
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port) as s:
        assert s.sendmail("bob@remote.example", [user], body) == {}

    assert x.wait_async("folderReport", timeout=WAIT).get("mode") == "notify"
    assert wait_for_line(i, r"^\* 1 EXISTS$") == "* 1 EXISTS"
    assert i.done(tag).ok
    stored = i.ok("FETCH 1 (BODY.PEEK[])").fetches()[1]["BODY[]"].encode("latin-1")
    i.close()
    # Our trace fields first (Postfix's LMTP client said LHLO mta.test), then Postfix's own
    # Received field, then the message as sent.
    assert stored.startswith(b"Return-Path: <bob@remote.example>\r\nDelivered-To: " + user.encode() + b"\r\n"), stored[:300]
    assert re.search(rb"Received: from mta\.test \(\[127\.0\.0\.1\]\)\r\n\tby \S+ \(ximssd\) with LMTP", stored)
    assert b"by mta.test (Postfix)" in stored
    assert b"Subject: through Postfix" in stored and stored.endswith(b"Relayed by Postfix over LMTP.\r\n.dot line\r\n")
    postfix.wait_log(r"to=<" + re.escape(user) + r">, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+,.*status=sent \(250 2\.1\.5")


def test_an_unknown_recipient_is_bounced_by_postfix(server, postfix):
    ghost = f"ghost@{DEFAULT_DOMAIN}"
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port) as s:
        # Postfix accepts at RCPT (it has no list of ximssd's users) ...
        assert s.sendmail(POSTMASTER, [ghost], message(subject="to nobody")) == {}
    # ... and ximssd's LMTP refusal makes it bounce.
    postfix.wait_log(r"to=<" + re.escape(ghost) + r">.*status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: "
                     r"550 5\.1\.1 <" + re.escape(ghost) + r">: no such user here")
    # The bounce goes back to the sender, a local account, over LMTP as well.
    deadline = time.monotonic() + WAIT
    while True:
        c = ImapRaw.connect(server.host, server.imap_port)
        c.login(POSTMASTER, server.postmaster_password)
        info = c.select("INBOX")
        r = c.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[TEXT])")
        c.close()
        texts = [v.get("BODY[TEXT]", "") for v in r.fetches().values()] if r.ok else []
        if any(ghost in t and "550 5.1.1" in t for t in texts):
            break
        assert time.monotonic() < deadline, f"no bounce in postmaster's INBOX:\n{postfix.log()[-3000:]}"
        time.sleep(0.3)
