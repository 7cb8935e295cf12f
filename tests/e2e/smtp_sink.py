"""A real SMTP server for the outbound tests: aiosmtpd on a loopback port, recording every
message it takes (envelope and bytes). It can refuse chosen recipients, offer STARTTLS (and
require it), and require AUTH.

    sink = SmtpSink(refuse={"nobody@remote.test"}).start()
    ...
    [msg] = sink.wait_for(1)
    sink.stop()
"""

import asyncio
import ssl
import subprocess
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from server_harness import free_port


class SinkMessage:
    def __init__(self, envelope, session):
        self.mail_from = envelope.mail_from
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.mail_options = list(envelope.mail_options)
        self.rcpt_options = list(envelope.rcpt_options)
        self.content = envelope.original_content or envelope.content
        self.tls = session.ssl is not None
        self.auth_login = session.login_data

    @property
    def header(self):
        return self.content.split(b"\r\n\r\n", 1)[0]

    def header_lines(self):
        return self.header.split(b"\r\n")

    def __repr__(self):
        return f"<SinkMessage from={self.mail_from!r} to={self.rcpt_tos!r} {len(self.content)} bytes>"


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 no such user here"
        if address.lower() in self.sink.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            self.sink.messages.append(SinkMessage(envelope, session))
        return "250 2.0.0 queued"


def make_tls_context(tmp_path):
    """A self-signed certificate for the sink (openssl CLI), as an ssl.SSLContext."""
    key, cert = tmp_path / "sink.key", tmp_path / "sink.crt"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                        "-out", str(cert), "-days", "2", "-subj", "/CN=sink.test"],
                       check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


class SmtpSink:
    def __init__(self, port=None, refuse=(), defer=(), tls_context=None, require_starttls=False, users=None):
        self.port = port or free_port()
        self.refuse = {a.lower() for a in refuse}
        self.defer = {a.lower() for a in defer}
        self.messages = []
        self.lock = threading.Lock()
        self.auth_attempts = []
        kwargs = {}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if users is not None:
            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and users.get(auth_data.login.decode()) == auth_data.password.decode()
                self.auth_attempts.append((mechanism, ok))
                return AuthResult(success=ok, handled=False)
            kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls_context is not None)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self.running = False

    def start(self):
        self.controller.start()
        self.running = True
        return self

    def stop(self):
        if self.running:
            self.controller.stop()
            self.running = False

    def wait_for(self, count, timeout=20):
        """Waits until the sink holds at least `count` messages; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"the sink got {len(self.messages)} messages, expected {count}: {self.messages}")

    def quiet_for(self, seconds):
        """The messages after `seconds` without new ones (to check that nothing more comes)."""
        time.sleep(seconds)
        with self.lock:
            return list(self.messages)
