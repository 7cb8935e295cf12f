"""The web client ximssd serves at / (resources/web), driven in headless Chromium: login over
/XIMSSLogin/, the INBOX listed through a sync POST (folderOpen + folderBrowse), a message appended
by another session shown through the long-poll (notify, folderSync), a wrong password's error
text, and the login form again once the session is killed (550)."""

import os
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from ximss_client import escape_text

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
USER = "web@example.dom"
PASSWORD = "web-pw-1"
WAIT = 20  # seconds

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("chromium or chromedriver is not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


@pytest.fixture
def mailbox(server):
    server.add_account(USER, PASSWORD)
    return server.login(USER, PASSWORD)


def append(client, subject, internal_date=None):
    email = (f"<EMail><From realName=\"Sender\">sender@example.dom</From><Subject>{escape_text(subject)}</Subject>"
             f'<MIME type="text" subtype="plain">body of {escape_text(subject)}\n</MIME></EMail>')
    r = client.request("messageAppend", {"targetMailbox": "INBOX", "internalDate": internal_date, "report": "uid"},
                       body=email)
    assert r.ok, r
    return r.data[0].get("UID")


def rows(driver):
    """(data-uid, subject text) of every message row, in page order (read in one script, so a
    re-render in between cannot leave stale elements)."""
    return [tuple(row) for row in driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages .message'),"
        " li => [li.dataset.uid, li.querySelector('.subject').textContent]);")]


def senders(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages .message .from'), e => e.textContent);")


def wait_for(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition)
    except TimeoutException:
        pytest.fail(f"{what} within {WAIT} s; rows: {rows(driver)}, status: {driver.find_element(By.ID, 'status').text!r}, "
                    f"error: {driver.find_element(By.ID, 'login-error').text!r}", pytrace=False)


def submit_login(driver, user, password):
    for field, value in (("user", user), ("password", password)):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "login-button").click()


def http_login_error(server, password):
    """The errorText the server itself gives for this login over HTTP."""
    query = urllib.parse.urlencode({"errorAsXML": "1", "userName": USER, "password": password})
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/XIMSSLogin/?{query}", timeout=10) as reply:
        root = ET.fromstring(reply.read())
    response = root.find("response")
    assert root.tag == "XIMSS" and root.find("session") is None and response is not None, ET.tostring(root)
    return response.get("errorText")


def test_login_list_and_live_update(server, mailbox, browser):
    started = time.monotonic()
    # Older internal dates than "now": the view sorts by INTERNALDATE, newest first.
    first = append(mailbox, "First <message> & friends", "20240101T100000")
    second = append(mailbox, "Second message", "20240102T100000")

    browser.get(f"http://127.0.0.1:{server.http_port}/")
    assert browser.find_element(By.ID, "login").is_displayed()
    assert not browser.find_element(By.ID, "mailbox").is_displayed()

    # A wrong password: the page shows the server's errorText and stays on the login form.
    expected_error = http_login_error(server, "wrong-password")
    assert expected_error
    submit_login(browser, USER, "wrong-password")
    error = browser.find_element(By.ID, "login-error")
    wait_for(browser, lambda d: error.text.strip() != "", "no error text after a wrong password")
    assert error.text == expected_error
    assert browser.find_element(By.ID, "login").is_displayed()
    assert not browser.find_element(By.ID, "mailbox").is_displayed()
    assert "connected as" not in browser.find_element(By.ID, "status").text

    # The right password: both messages listed, newest first, subjects shown as text.
    submit_login(browser, USER, PASSWORD)
    wait_for(browser, lambda d: len(rows(d)) == 2, "the two messages were not listed")
    assert rows(browser) == [(second, "Second message"), (first, "First <message> & friends")]
    # E-From: the address (or the real name, should the server send a realName attribute).
    assert all(sender in ("sender@example.dom", "Sender") for sender in senders(browser)), senders(browser)
    assert browser.find_element(By.ID, "status").text == f"connected as {USER}"
    assert not browser.find_element(By.ID, "login").is_displayed()
    assert browser.find_element(By.ID, "login-error").text == ""

    # Another session appends: the page learns of it through the long-poll, without reloading.
    browser.execute_script("window.notReloaded = true;")
    other = server.login(USER, PASSWORD)
    third = append(other, "Third message, appended live")
    wait_for(browser, lambda d: len(rows(d)) == 3, "the live append did not show up")
    assert rows(browser) == [(third, "Third message, appended live"), (second, "Second message"),
                             (first, "First <message> & friends")]
    assert browser.execute_script("return window.notReloaded === true;")
    assert browser.find_element(By.ID, "status").text == f"connected as {USER}"
    print(f"browser test body: {time.monotonic() - started:.1f} s")


def test_killed_session_shows_login_again(server, mailbox, browser):
    append(mailbox, "Only message")
    browser.get(f"http://127.0.0.1:{server.http_port}/")
    submit_login(browser, USER, PASSWORD)
    wait_for(browser, lambda d: [subject for _, subject in rows(d)] == ["Only message"], "the message was not listed")

    # The page's session id, from the URLs it requested.
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/Session/'));")
    url_ids = {urllib.parse.urlsplit(u).path.split("/")[2] for u in urls}
    assert len(url_ids) == 1, urls
    [url_id] = url_ids
    kill = urllib.request.Request(f"http://127.0.0.1:{server.http_port}/Session/{url_id}/KILL", method="POST", data=b"")
    with urllib.request.urlopen(kill, timeout=10) as reply:
        assert reply.status == 200

    # The pending long-poll (or the next one) gets 550: the login form comes back with a message.
    login_form = browser.find_element(By.ID, "login")
    wait_for(browser, lambda d: login_form.is_displayed(), "the login form did not come back after the session was killed")
    assert not browser.find_element(By.ID, "mailbox").is_displayed()
    assert rows(browser) == []
    assert "log in again" in browser.find_element(By.ID, "login-error").text
    assert browser.find_element(By.ID, "status").text == "not connected"
