"""The account's Rules over XIMSS (E-im-roster-files-more.md section 6; PROTOCOL.md "Rules"):
ruleList, ruleRead, ruleSet, ruleUpdate, ruleRename, ruleRemove against the real server."""

import xml.etree.ElementTree as ET

import pytest

USER = "rules1@example.dom"
PASSWORD = "rul3s-pw"

# The spec's example, verbatim: the `rule` element and, for ruleSet, its body.
SPEC_EXAMPLE = """<rule type="mailIn" name="Junk Filter" priority="2" > <condition opCode="Header Field" operator="is">X-Junk: 5*</condition>
 <condition opCode="Source" operator="is not">authenticated</condition>
 <action opCode="Store in">Junk</action>
 <action opCode="Discard"></action>
 <comment>This is my test Rule!</comment>
 </rule>"""


def spec_body():
    start = SPEC_EXAMPLE.index(">") + 1
    return SPEC_EXAMPLE[start:SPEC_EXAMPLE.rindex("</rule>")]


def rule_items(element):
    """A rule element's body as comparable tuples."""
    items = []
    for child in element:
        items.append((child.tag, dict(child.attrib), (child.text or "")))
    return items


@pytest.fixture
def session(server):
    server.add_account(USER, PASSWORD)
    return server.login(USER, PASSWORD)


def rule_set(session, name, priority, body, type="mailIn", **attrs):
    return session.request("ruleSet", {"type": type, "name": name, "priority": str(priority), **attrs}, body)


def listed(session, type="mailIn"):
    r = session.request("ruleList", {"type": type})
    assert r.ok, r
    for m in r.data:
        assert m.tag == "rule" and m.get("id") == r.id, r
        assert len(m) == 0 and not (m.text or "").strip(), f"ruleList's rule messages have no body: {r}"
    return [(m.get("name"), m.get("priority"), m.get("stage")) for m in r.data]


def test_spec_example_round_trip(server, session):
    r = rule_set(session, "Junk Filter", 2, spec_body())
    assert r.ok, r
    assert listed(session) == [("Junk Filter", "2", None)]
    r = session.request("ruleRead", {"type": "mailIn", "name": "Junk Filter"})
    assert r.ok, r
    assert [m.tag for m in r.data] == ["rule"], r
    got = r.data[0]
    expected = ET.fromstring(SPEC_EXAMPLE)
    assert got.get("id") == r.id
    for attr in ("type", "name", "priority"):
        assert got.get(attr) == expected.get(attr), r
    assert rule_items(got) == rule_items(expected), r
    # Durable once acknowledged: the same after kill -9 and a restart.
    server.proc.kill()
    server.proc.wait()
    server.restart()
    again = server.login(USER, PASSWORD).request("ruleRead", {"type": "mailIn", "name": "Junk Filter"})
    assert again.ok, again
    assert rule_items(again.data[0]) == rule_items(expected)


def test_list_order_update_rename_remove(session):
    assert listed(session) == []
    for name, priority in (("b", 5), ("a", 5), ("top", 10), ("off", 0)):
        r = rule_set(session, name, priority, '<action opCode="Mark">Flagged</action>')
        assert r.ok, r
    assert listed(session) == [("top", "10", None), ("a", "5", None), ("b", "5", None), ("off", "0", None)]

    assert session.request("ruleUpdate", {"type": "mailIn", "name": "off", "priority": "7"}).ok
    assert [n for n, _, _ in listed(session)] == ["top", "off", "a", "b"]

    assert session.request("ruleRename", {"type": "mailIn", "name": "off", "newName": "on"}).ok
    assert [n for n, _, _ in listed(session)] == ["top", "on", "a", "b"]
    body = session.request("ruleRead", {"type": "mailIn", "name": "on"})
    assert rule_items(body.data[0]) == [("action", {"opCode": "Mark"}, "Flagged")]

    assert session.request("ruleRemove", {"type": "mailIn", "name": "a"}).ok
    assert [n for n, _, _ in listed(session)] == ["top", "on", "b"]

    # ruleSet with an existing name replaces that Rule.
    r = rule_set(session, "b", 1, '<condition opCode="Subject" operator="is">*sale*</condition>'
                                  '<action opCode="Discard"/>')
    assert r.ok, r
    assert listed(session)[-1] == ("b", "1", None)
    b = session.request("ruleRead", {"type": "mailIn", "name": "b"}).data[0]
    assert rule_items(b) == [("condition", {"opCode": "Subject", "operator": "is"}, "*sale*"),
                             ("action", {"opCode": "Discard"}, "")]


def test_signal_rules_are_a_separate_set_with_stages(session):
    r = rule_set(session, "calls", 4, '<condition opCode="Method" operator="is">INVITE</condition>'
                                      '<action opCode="Fork to">#voicemail</action>', type="signal", stage="Busy")
    assert r.ok, r
    assert listed(session, "signal") == [("calls", "4", "Busy")]
    assert listed(session, "mailIn") == []
    assert session.request("ruleUpdate", {"type": "signal", "name": "calls", "stage": "15"}).ok
    assert listed(session, "signal") == [("calls", "4", "15")]
    read = session.request("ruleRead", {"type": "signal", "name": "calls"}).data[0]
    assert read.get("stage") == "15"
    assert rule_items(read)[1] == ("action", {"opCode": "Fork to"}, "#voicemail")


def test_errors(session):
    def error(name, attrs, body=None):
        r = session.request(name, attrs, body)
        assert not r.ok, r
        return r.error_num, r.error_text

    num, text = error("ruleList", {"type": "mailOut"})
    assert num == 501 and 'unknown Rule set type "mailOut"' in text
    num, text = error("ruleList", {})
    assert num == 501
    num, text = error("ruleRead", {"type": "mailIn", "name": "ghost"})
    assert num == 530 and '"ghost"' in text
    num, text = error("ruleRemove", {"type": "mailIn", "name": "ghost"})
    assert num == 530
    num, text = error("ruleUpdate", {"type": "mailIn", "name": "ghost", "priority": "3"})
    assert num == 530
    num, text = error("ruleRename", {"type": "mailIn", "name": "ghost", "newName": "x"})
    assert num == 530

    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "11"})
    assert num == 501 and "from 0 (inactive) to 10" in text
    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "2"},
                      '<condition opCode="Colour" operator="is">red</condition>')
    assert num == 501 and 'unknown Rule condition "Colour"' in text
    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "2"},
                      '<condition opCode="From" operator="sounds like">x</condition>')
    assert num == 501 and 'unknown Rule operator "sounds like"' in text
    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "2"}, '<action opCode="Launch"/>')
    assert num == 501 and 'unknown Rule action "Launch"' in text
    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "2"}, '<action opCode="Redirect to"/>')
    assert num == 501 and "needs addresses" in text
    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "2", "stage": "now"})
    assert num == 501 and "only signal Rules have a stage" in text
    num, text = error("ruleSet", {"type": "mailIn", "name": "r", "priority": "2"}, "<script/>")
    assert num == 501 and "<script>" in text

    assert rule_set(session, "one", 1, "").ok
    assert rule_set(session, "two", 1, "").ok
    num, text = error("ruleRename", {"type": "mailIn", "name": "one", "newName": "two"})
    assert num == 531 and '"two"' in text
    num, text = error("ruleUpdate", {"type": "mailIn", "name": "one"})
    assert num == 501 and "priority or a stage" in text
    assert [n for n, _, _ in listed(session)] == ["one", "two"]  # nothing changed
    assert session.request("noop").ok  # and the session is healthy


def test_rules_need_a_session(server):
    c = server.client()
    r = c.request("ruleList", {"type": "mailIn"})
    assert r.error_num == 510, r


def rules_allowed_status(session):
    r = session.request("readStatus")
    status = r.first("currentStatus")
    return status.find("RulesAllowed").text, status.find("SignalRulesAllowed").text


def test_rules_allowed(server, session):
    assert rules_allowed_status(session) == ("Any", "Any")
    assert rule_set(session, "fwd", 5, '<action opCode="Forward to">boss@example.com</action>').ok
    assert rule_set(session, "vacation", 5, '<action opCode="Reply with">Away</action>').ok

    server.admin_ok("account", "setting", USER, "RulesAllowed", "No Redirect")
    assert rules_allowed_status(session) == ("No Redirect", "No Redirect")
    assert server.admin_ok("account", "setting", USER, "RulesAllowed").stdout.strip() == "No Redirect"
    r = rule_set(session, "mirror", 5, '<action opCode="Mirror to">spy@example.com</action>')
    assert r.error_num == 520 and '"Mirror to"' in r.error_text, r
    # The Rule being replaced, changed, renamed or removed is checked too.
    for name, attrs in (("ruleSet", {"name": "fwd", "priority": "5"}),
                        ("ruleUpdate", {"name": "fwd", "priority": "6"}),
                        ("ruleRename", {"name": "fwd", "newName": "f"}),
                        ("ruleRemove", {"name": "fwd"})):
        r = session.request(name, {"type": "mailIn", **attrs})
        assert r.error_num == 520, (name, r)
    assert session.request("ruleUpdate", {"type": "mailIn", "name": "vacation", "priority": "6"}).ok

    server.admin_ok("account", "setting", USER, "RulesAllowed", "Filter Only")
    r = rule_set(session, "v2", 5, '<action opCode="Reply with">Away</action>')
    assert r.error_num == 520, r
    assert rule_set(session, "junk", 5, '<action opCode="Store in">Junk</action><action opCode="Stop Processing"/>').ok

    server.admin_ok("account", "setting", USER, "RulesAllowed", "None")
    r = rule_set(session, "junk2", 5, '<action opCode="Discard"/>')
    assert r.error_num == 520 and "may not set Rules" in r.error_text, r
    assert session.request("ruleRemove", {"type": "mailIn", "name": "junk"}).error_num == 520
    # Reading is still allowed.
    assert [n for n, _, _ in listed(session)] == ["vacation", "fwd", "junk"]

    server.admin_ok("account", "setting", USER, "RulesAllowed", "Any")
    assert session.request("ruleRemove", {"type": "mailIn", "name": "fwd"}).ok
