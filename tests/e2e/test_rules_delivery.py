"""The account's mailIn Rules at real deliveries (PROTOCOL.md "Rules"): every condition and
action, exercised by messages delivered over LMTP (Python's smtplib.LMTP) and inbound SMTP, and
checked over IMAP; Rules are set over XIMSS."""

import datetime
import email
import imaplib
import re
import smtplib
import time

import pytest

from server_harness import DEFAULT_DOMAIN
from ximss_client import escape_text

SENDER = "joe@remote.example"
WAIT = 15


def account(server, name):
    password = f"pw-{name}-1"
    server.add_account(name, password)
    return f"{name}@{DEFAULT_DOMAIN}", password


def set_rule(session, name, body, priority=5):
    r = session.request("ruleSet", {"type": "mailIn", "name": name, "priority": str(priority)}, body)
    assert r.ok, r


def cond(op_code, operator, parameter=""):
    return f'<condition opCode="{op_code}" operator="{operator}">{escape_text(parameter)}</condition>'


def act(op_code, parameter=""):
    return f'<action opCode="{op_code}">{escape_text(parameter)}</action>'


def make_message(subject="hello", sender=SENDER, to="u@example.dom", extra="", body="Hello there.\r\n"):
    return (f"From: Joe Sender <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}.{time.time_ns()}@remote.example>\r\n{extra}"
            f"\r\n{body}")


def lmtp(server, recipients, message, sender=SENDER):
    """Delivers over LMTP; returns {recipient: (code, text)} of the recipients refused at RCPT or
    after DATA (LMTP answers DATA once per accepted recipient, which smtplib.LMTP does not read)."""
    refused = {}
    with smtplib.LMTP(server.host, server.lmtp_port) as c:
        c.ehlo()
        code, text = c.mail(sender)
        assert code == 250, (code, text)
        accepted = []
        for r in recipients:
            code, text = c.rcpt(r)
            if code == 250:
                accepted.append(r)
            else:
                refused[r] = (code, text.decode())
        code, text = c.docmd("DATA")
        assert code == 354, (code, text)
        data = re.sub(r"(?m)^\.", "..", message).encode()
        c.send(data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        for r in accepted:
            code, text = c.getreply()
            if code != 250:
                refused[r] = (code, text.decode())
    return refused


def mailbox(server, user, password, name="INBOX"):
    """[(flags, message)] of the mailbox, in UID order ([] when it does not exist)."""
    c = server.imap(user, password)
    typ, _ = c.select(f'"{name}"', readonly=True)
    if typ != "OK":
        return []
    typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    assert typ == "OK", data
    out = []
    for item in data:
        if isinstance(item, tuple):
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
            out.append((flags, email.message_from_bytes(item[1])))
    c.logout()
    return out


def subjects(server, user, password, name="INBOX"):
    return [m["Subject"] for _, m in mailbox(server, user, password, name)]


def wait_for(predicate, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def user(server):
    address, password = account(server, "u")
    session = server.login(address, password)
    return address, password, session


# ---- the spec's example ------------------------------------------------------------------

def test_spec_example_junk_filter(server, user):
    address, password, session = user
    body = ('<condition opCode="Header Field" operator="is">X-Junk: 5*</condition>'
            '<condition opCode="Source" operator="is not">authenticated</condition>'
            '<action opCode="Store in">Junk</action><action opCode="Discard"></action>'
            '<comment>This is my test Rule!</comment>')
    set_rule(session, "Junk Filter", body, priority=2)
    assert lmtp(server, [address], make_message("junk", extra="X-Junk: 5 (likely)\r\n")) == {}
    assert lmtp(server, [address], make_message("clean", extra="X-Junk: 1\r\n")) == {}
    assert subjects(server, address, password) == ["clean"]
    assert subjects(server, address, password, "Junk") == ["junk"]


# ---- every condition -----------------------------------------------------------------------

# (condition, a message it holds for, a message it does not hold for); each message is
# (subject-less message keyword arguments, envelope sender, recipients).
def conditions_cases():
    u = f"u@{DEFAULT_DOMAIN}"
    other = f"other@{DEFAULT_DOMAIN}"
    return [
        (cond("From", "is", "*@remote.example"), {}, {"sender": "ann@elsewhere.example"}),
        (cond("From", "in", "x@y.example, joe@*"), {}, {"sender": "ann@elsewhere.example"}),
        (cond("Sender", "is", "list-bounces@*"), {"extra": "Sender: list-bounces@lists.example\r\n"}, {}),
        (cond("Return-Path", "is", "bounces+*@remote.example"), {"envelope": "bounces+7@remote.example"}, {}),
        (cond("To", "is", u), {"to": u}, {"to": other, "rcpt": [u]}),
        (cond("Cc", "is", "*@cc.example"), {"extra": "Cc: a@cc.example\r\n"}, {}),
        (cond("Any To or Cc", "is", "team@*"), {"extra": "Cc: x@y.example, team@z.example\r\n"}, {}),
        (cond("Each To or Cc", "is", f"*@{DEFAULT_DOMAIN}"), {"extra": f"Cc: {other}\r\n"},
         {"extra": "Cc: outsider@elsewhere.example\r\n"}),
        (cond("Reply-To", "is not", "*@remote.example"), {"extra": "Reply-To: r@elsewhere.example\r\n"},
         {"extra": "Reply-To: r@remote.example\r\n"}),
        (cond("Subject", "is", "*invoice*"), {"subject": "Your INVOICE 42"}, {"subject": "a letter"}),
        (cond("Message-ID", "is", "<special-*"), {"extra_id": "<special-1@x>"}, {}),
        (cond("Message Size", "greater than", "10K"), {"body": "x" * 12000 + "\r\n"}, {}),
        (cond("Message Size", "less than", "2K"), {}, {"body": "y" * 3000 + "\r\n"}),
        (cond("Header Field", "in", "X-Priority: 1*, 2*"), {"extra": "X-Priority: 1 (Highest)\r\n"},
         {"extra": "X-Priority: 3\r\n"}),
        (cond("Any Recipient", "is", other), {"rcpt": [u, other]}, {"rcpt": [u]}),
        (cond("Each Recipient", "is", u), {"rcpt": [u]}, {"rcpt": [u, other]}),
        (cond("Source", "is", "LMTP"), {}, {"smtp": True}),
        (cond("Source", "is", "SMTP"), {"smtp": True}, {}),
        ('<condition opCode="Human Generated"/>', {}, {"extra": "Auto-Submitted: auto-generated\r\n"}),
        ('<condition opCode="Human Generated" operator="is not"/>', {"extra": "Precedence: bulk\r\n"}, {}),
    ]


def deliver_case(server, case, label):
    subject = f"{case['subject']} {label}" if "subject" in case else label
    to = case.get("to", f"u@{DEFAULT_DOMAIN}")
    extra = case.get("extra", "")
    text = make_message(subject, sender=case.get("sender", SENDER), to=to, extra=extra,
                        body=case.get("body", "Hello there.\r\n"))
    if "extra_id" in case:
        text = re.sub(r"Message-ID: <[^>]*>", f"Message-ID: {case['extra_id']}", text)
    recipients = case.get("rcpt", [f"u@{DEFAULT_DOMAIN}"])
    envelope = case.get("envelope", case.get("sender", SENDER))
    if case.get("smtp"):
        with smtplib.SMTP(server.host, server.smtp_port) as s:
            assert s.sendmail(envelope, recipients, text.encode()) == {}
    else:
        assert lmtp(server, recipients, text, sender=envelope) == {}


def test_every_condition(server, user):
    address, password, session = user
    account(server, "other")
    cases = conditions_cases()
    for i, (condition, holds, fails) in enumerate(cases):
        set_rule(session, "probe", condition + act("Store in", "Matched") + act("Discard"))
        deliver_case(server, holds, f"[holds {i}]")
        deliver_case(server, fails, f"[fails {i}]")
    matched = subjects(server, address, password, "Matched")
    inbox = subjects(server, address, password)

    def has(subjects, label):
        return any(s.endswith(label) for s in subjects)

    for i, (condition, _, _) in enumerate(cases):
        assert has(matched, f"[holds {i}]") and not has(inbox, f"[holds {i}]"), condition
        assert has(inbox, f"[fails {i}]") and not has(matched, f"[fails {i}]"), condition


def test_clock_conditions(server, user):
    address, password, session = user
    server.admin_ok("account", "setting", address, "TimeZone", "Etc/UTC")
    now = datetime.datetime.now(datetime.timezone.utc)
    today = now.strftime("%A")
    tomorrow = (now + datetime.timedelta(days=1)).strftime("%a")
    set_rule(session, "today", cond("Current Day", "is", today) +
             cond("Current Date", "greater than", (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d")) +
             cond("Current Time", "less than", "23:59:59") + act("Store in", "Today"))
    set_rule(session, "tomorrow", cond("Current Day", "in", tomorrow) + act("Store in", "Tomorrow"))
    assert lmtp(server, [address], make_message("dated")) == {}
    assert subjects(server, address, password, "Today") == ["dated"]
    assert subjects(server, address, password, "Tomorrow") == []


# ---- every action ---------------------------------------------------------------------------

def test_store_in_and_mark(server, user):
    address, password, session = user
    set_rule(session, "file", act("Store in", "Lists/Weekly") + act("Mark", "Seen,Flagged,Label3"))
    assert lmtp(server, [address], make_message("filed")) == {}
    for name in ("INBOX", "Lists/Weekly"):  # no Discard: INBOX keeps its copy
        (flags, m), = mailbox(server, address, password, name)
        assert m["Subject"] == "filed"
        assert {"\\Seen", "\\Flagged", "$Label3"} <= set(flags), flags


def test_add_header_and_tag_subject(server, user):
    address, password, session = user
    set_rule(session, "tag", cond("Subject", "is", "report*") + act("Add Header", "X-Filed-By: rules") +
             act("Tag Subject", "[reports]"))
    assert lmtp(server, [address], make_message("report for May")) == {}
    (_, m), = mailbox(server, address, password)
    assert m["Subject"] == "[reports] report for May"
    assert m["X-Filed-By"] == "rules"
    assert m.get_payload() == "Hello there.\r\n"  # the body is untouched


def test_discard(server, user):
    address, password, session = user
    set_rule(session, "drop", cond("From", "is", "spammer@*") + act("Discard"))
    assert lmtp(server, [address], make_message("spam", sender="spammer@bad.example")) == {}
    assert lmtp(server, [address], make_message("ham")) == {}
    assert subjects(server, address, password) == ["ham"]


def test_reject_with(server, user):
    address, password, session = user
    set_rule(session, "bounce", cond("Subject", "is", "*lottery*") + act("Reject with", "No lotteries, thanks"))
    refused = lmtp(server, [address], make_message("You won the lottery"))
    code, text = refused[address]
    assert code == 550 and "No lotteries, thanks" in text, refused
    # The other recipient of the same transaction is unaffected.
    other, other_pw = account(server, "other")
    assert lmtp(server, [address, other], make_message("lottery again")) == {address: (550, refused[address][1])}
    assert subjects(server, address, password) == []
    assert subjects(server, other, other_pw) == ["lottery again"]


def test_priority_order_and_stop_processing(server, user):
    address, password, session = user
    set_rule(session, "low", act("Store in", "Low"), priority=1)
    set_rule(session, "high", cond("Subject", "is", "stop*") + act("Store in", "High") + act("Stop Processing"),
             priority=9)
    set_rule(session, "inactive", act("Discard"), priority=0)
    assert lmtp(server, [address], make_message("stop here")) == {}
    assert lmtp(server, [address], make_message("go on")) == {}
    assert subjects(server, address, password, "High") == ["stop here"]
    assert subjects(server, address, password, "Low") == ["go on"]
    assert subjects(server, address, password) == ["stop here", "go on"]  # "inactive" never ran


def test_rule_changes_apply_to_the_next_delivery(server, user):
    address, password, session = user
    set_rule(session, "r", act("Store in", "First"))
    assert lmtp(server, [address], make_message("one")) == {}
    assert session.request("ruleRename", {"type": "mailIn", "name": "r", "newName": "s"}).ok
    set_rule(session, "s", act("Store in", "Second"))
    assert lmtp(server, [address], make_message("two")) == {}
    assert session.request("ruleUpdate", {"type": "mailIn", "name": "s", "priority": "0"}).ok
    assert lmtp(server, [address], make_message("three")) == {}
    assert subjects(server, address, password, "First") == ["one"]
    assert subjects(server, address, password, "Second") == ["two"]
    assert subjects(server, address, password) == ["one", "two", "three"]


# ---- copies and automatic replies, through the outbound queue, to local accounts --------------

def test_mirror_redirect_forward_to_local_accounts(server, user):
    address, password, session = user
    targets = {name: account(server, name) for name in ("mirror", "redirect", "forward")}
    set_rule(session, "copies", cond("Subject", "is", "copy*") +
             act("Mirror to", targets["mirror"][0]) + act("Redirect to", targets["redirect"][0]) +
             act("Forward to", targets["forward"][0]))
    assert lmtp(server, [address], make_message("copy me", body="The original text.\r\n")) == {}
    assert subjects(server, address, password) == ["copy me"]  # the account keeps its copy

    (_, mirrored), = wait_for(lambda: mailbox(server, *targets["mirror"]), "the mirrored copy")
    assert mirrored["Subject"] == "copy me" and mirrored["Resent-From"] is None
    assert mirrored.get_payload() == "The original text.\r\n"

    (_, redirected), = wait_for(lambda: mailbox(server, *targets["redirect"]), "the redirected copy")
    assert redirected["Subject"] == "copy me"
    assert address in redirected["Resent-From"] and targets["redirect"][0] in redirected["Resent-To"]
    assert redirected["From"] == f"Joe Sender <{SENDER}>"  # the original header is kept

    (_, forwarded), = wait_for(lambda: mailbox(server, *targets["forward"]), "the forwarded message")
    assert forwarded["Subject"] == "Fwd: copy me"
    assert address in forwarded["From"]
    attached = [p for p in forwarded.walk() if p.get_content_type() == "message/rfc822"]
    assert len(attached) == 1 and attached[0].get_payload()[0]["Subject"] == "copy me"


def replies_to(server, who):
    return [m for _, m in mailbox(server, *who) if m["Auto-Submitted"]]


def test_automatic_reply_once_per_sender(server, user):
    address, password, session = user
    joe, ann, bulk = (account(server, n) for n in ("joe", "ann", "bulk"))
    set_rule(session, "vacation", '<condition opCode="Human Generated"/>' + act("Reply with", "I am away until Monday."))
    for i in range(2):
        assert lmtp(server, [address], make_message(f"question {i}", sender=joe[0]), sender=joe[0]) == {}
    # Neither automatic or bulk mail nor a bounce gets a reply.
    assert lmtp(server, [address], make_message("newsletter", sender=bulk[0], extra="Precedence: bulk\r\n"),
                sender=bulk[0]) == {}
    assert lmtp(server, [address], make_message("bounce", sender=bulk[0]), sender="") == {}
    # Ann's reply is queued after the others: once it arrived, Joe's would have too.
    assert lmtp(server, [address], make_message("hello", sender=ann[0]), sender=ann[0]) == {}
    (reply,) = wait_for(lambda: replies_to(server, ann), "the reply to ann")
    assert reply["Subject"] == "Re: hello"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert address in reply["From"]
    assert "I am away until Monday." in reply.get_payload(decode=True).decode()

    joe_replies = wait_for(lambda: replies_to(server, joe), "the reply to joe")
    assert [m["Subject"] for m in joe_replies] == ["Re: question 0"]  # one, not two
    assert replies_to(server, bulk) == []
    assert len(subjects(server, address, password)) == 5  # every message was delivered
    # The reply's own arrival in joe's INBOX (automatic) triggers nothing back.


@pytest.mark.server_settings({"rules.vacation_period": 2})
def test_automatic_reply_again_after_the_period(server, user):
    address, password, session = user
    joe = account(server, "joe")
    set_rule(session, "vacation", act("Reply with", "Away."))
    assert lmtp(server, [address], make_message("one", sender=joe[0]), sender=joe[0]) == {}
    wait_for(lambda: len(replies_to(server, joe)) == 1, "the first reply")
    time.sleep(2.5)
    assert lmtp(server, [address], make_message("two", sender=joe[0]), sender=joe[0]) == {}
    wait_for(lambda: len(replies_to(server, joe)) == 2, "the second reply, after the period")


def test_reply_to_all(server, user):
    address, password, session = user
    joe, carl = account(server, "joe"), account(server, "carl")
    set_rule(session, "all", act("Reply to All with", "Noted."))
    text = make_message("meeting", sender=joe[0], to=f"{address}, {carl[0]}")
    assert lmtp(server, [address], text, sender=joe[0]) == {}
    (to_joe,) = wait_for(lambda: replies_to(server, joe), "the reply to joe")
    (to_carl,) = wait_for(lambda: replies_to(server, carl), "the reply to carl")
    assert to_joe["Subject"] == to_carl["Subject"] == "Re: meeting"
    assert replies_to(server, (address, password)) == []  # never to ourselves
