"""The pre-login phase: listFeatures, starttls, signup, readStrings, recoverPassword, and the
refusal of session operations before login (PROTOCOL.md "Before login")."""

import pytest

from server_harness import DEFAULT_DOMAIN

FEATURE_ORDER = ["domain", "sasl", "starttls", "nonce", "language", "signup"]


def features(client, attrs=None):
    r = client.request("listFeatures", attrs)
    assert r.ok, r
    assert [m.tag for m in r.data] == ["features"], r
    f = r.data[0]
    assert f.get("id") == r.id
    return f


def sasl_mechanisms(f):
    return [e.text for e in f.findall("sasl")]


def assert_feature_order(f):
    # PROTOCOL.md fixes the order of the children.
    ranks = [FEATURE_ORDER.index(e.tag) for e in f if e.tag in FEATURE_ORDER]
    assert ranks == sorted(ranks), [e.tag for e in f]


def test_list_features_default_domain(server):
    f = features(server.client())
    assert f.findtext("domain") == DEFAULT_DOMAIN
    mechs = sasl_mechanisms(f)
    assert "CRAM-MD5" in mechs
    assert "PLAIN" in mechs  # loopback counts as secure by default
    assert f.find("starttls") is not None
    assert f.find("nonce") is not None and (f.findtext("nonce") or "").strip()
    assert f.find("language") is not None
    assert f.find("signup") is None
    assert_feature_order(f)


@pytest.mark.server_settings({"auth.loopback_is_secure": False})
def test_list_features_insecure_connection_hides_plain(server):
    c = server.client()
    f = features(c)
    assert "PLAIN" not in sasl_mechanisms(f)
    assert "CRAM-MD5" in sasl_mechanisms(f)
    assert f.find("starttls") is not None
    # After STARTTLS the connection is secure: PLAIN appears, starttls is no longer offered.
    assert c.starttls().ok
    f = features(c)
    assert "PLAIN" in sasl_mechanisms(f)
    assert f.find("starttls") is None


def test_list_features_signup_domain(server):
    server.add_domain("signup.dom", allow_signup=True)
    f = features(server.client(), {"domain": "signup.dom"})
    assert f.findtext("domain") == "signup.dom"
    assert f.find("signup") is not None
    assert_feature_order(f)
    assert features(server.client()).find("signup") is None  # the default domain has none


def test_list_features_unknown_domain(server):
    r = server.client().request("listFeatures", {"domain": "no-such.dom"})
    assert r.error_num == 530 and r.error_text.startswith("unknown domain"), r
    assert r.data == []


def test_starttls_then_noop_and_login(server):
    c = server.client()
    assert c.starttls().ok
    assert c.request("noop").ok
    assert c.login_plain("postmaster", server.postmaster_password).ok
    assert c.request("readTime").ok


def test_starttls_twice_is_refused(server):
    c = server.client()
    assert c.starttls().ok
    r = c.request("starttls")
    assert not r.ok, r
    assert c.request("noop").ok  # the TLS connection is still usable


# --- signup ---------------------------------------------------------------------------------

@pytest.fixture
def signup_server(server):
    server.add_domain("signup.dom", allow_signup=True)
    return server


def signup(client, user, password, **extra):
    return client.request("signup", {"domain": "signup.dom", "userName": user,
                                     "password": password, **extra})


def test_signup_creates_account(signup_server):
    c = signup_server.client()
    r = signup(c, "newuser", "n3w-secret", realName="New User")
    assert r.ok, r
    assert c.request("readTime").error_num == 510  # signup does not log in
    r = c.login_plain("newuser@signup.dom", "n3w-secret")
    assert r.ok, r
    assert r.first("session").get("userName") == "newuser@signup.dom"
    assert r.first("session").get("realName") == "New User"
    assert "newuser@signup.dom" in signup_server.admin_ok("account", "list", "signup.dom").stdout


def test_signup_existing_account(signup_server):
    c = signup_server.client()
    assert signup(c, "dup", "secret-1").ok
    assert signup(c, "dup", "secret-2").error_num == 531
    assert signup_server.client().login_plain("dup@signup.dom", "secret-1").ok  # unchanged


@pytest.mark.parametrize("name", ["", "has space", "a/b", "x@y@z", "a\tb"])
def test_signup_bad_name(signup_server, name):
    assert signup(signup_server.client(), name, "secret-1").error_num == 501


def test_signup_empty_password(signup_server):
    c = signup_server.client()
    assert signup(c, "nopass", "").error_num == 501
    assert c.request("signup", {"domain": "signup.dom", "userName": "nopass"}).error_num == 501


def test_signup_not_allowed_in_domain(server):
    c = server.client()
    r = c.request("signup", {"userName": "intruder", "password": "secret-1"})
    assert r.error_num == 520, r
    assert c.login_plain("intruder", "secret-1").error_num == 515  # nothing was created


# --- readStrings ----------------------------------------------------------------------------

def read_strings(client, attrs=None):
    r = client.request("readStrings", attrs)
    assert r.ok, r
    assert [m.tag for m in r.data] == ["strings"], r
    return r.data[0]


def test_read_strings_default_dictionary(server):
    s = read_strings(server.client())
    assert s.get("language") == "English"
    assert s.get("timeModified")
    button = s.find("string[@name='AppendButton']")
    assert button is not None and button.text


def test_read_strings_not_modified(server):
    s = read_strings(server.client(), {"timeModified": "20991231T235959"})
    assert s.get("language") == "English"  # the message is sent, with attributes ...
    assert len(s) == 0 and not (s.text or "").strip()  # ... and no content


def test_read_strings_modified_since(server):
    s = read_strings(server.client(), {"timeModified": "20000101T000000"})
    assert len(s) > 0 and s.find("string[@name='AppendButton']") is not None


def test_read_strings_unknown_language_falls_back_to_english(server):
    s = read_strings(server.client(), {"language": "NoSuchLanguage"})
    assert s.get("language") == "English"
    assert s.find("string[@name='AppendButton']") is not None


# --- other pre-login operations -------------------------------------------------------------

def test_recover_password_answers_alike_and_needs_a_user_name(server):
    # The mail itself is tested in test_recover_password.py: here, the reply is the same positive
    # one for an account without a recovery address as for no account at all.
    c = server.client()
    assert c.request("recoverPassword", {"userName": "postmaster"}).ok
    assert c.request("recoverPassword", {"userName": "nobody-here"}).ok
    assert c.request("recoverPassword").error_num == 501


@pytest.mark.parametrize("op", ["readTime", "readStatus", "readSession", "getSessionData",
                                "getLanguage", "listKnownValues", "passwordModify"])
def test_session_operation_before_login(server, op):
    c = server.client()
    assert c.request(op).error_num == 510
    assert c.request("myCommand").error_num == 500  # unknown stays unknown before login


def test_bye_before_login(server):
    c = server.client()
    assert c.request("bye").ok
    assert c.wait_closed(timeout=5)

