"""Real-world RFC 822 messages shipped by Debian packages, for mail import tests (stdlib only).

Where the messages come from (found through dpkg's file lists, /var/lib/dpkg/info/PKG.list,
so nothing is hard-coded but the package names):

    libpython3.11-testsuite   /usr/lib/python3.11/test/test_email/data/msg_*.txt: CPython's email
                              test messages (multipart, nested message/rfc822, broken boundaries,
                              encoded words, an "From " envelope line on top, CRLF line ends ...);
                              plus the messages written as string literals in the email tests
                              (test_email/test_*.py, test_mailbox.py): 8bit bodies, RFC 2231
                              parameters, defects of every kind. Those are found with `ast`, not
                              by importing the tests, and have no file of their own: they are in
                              corpus_messages() but not in corpus_files().
    spamassassin              /usr/share/doc/spamassassin/examples/sample-{spam,nonspam}.txt
    (libmime-tools-perl       was looked at and ships no test message in Debian, only the
                              modules, man pages and example scripts: it is not in PACKAGES.)

A file counts as a message when it is text (a .txt/.msg/.eml/.mail/.mbox or msg_* name) that
starts with "Name: value" header fields and their continuation lines (an mbox "From " envelope
line on top is allowed), at least one field, ended by a blank line. One deliberately broken
message has no blank line after its header fields (msg_35.txt): a header block ended by the first
line that is not a field counts too. Gzip-compressed files (.gz) are decompressed in memory.
Literals in the tests count when, once dedented, they have at least two fields, a blank line, a
body that is not blank and no template placeholder ("{}", "%s") in the header block.
A package that is not installed contributes nothing (no error): check the counts, e.g. with
`python3 tests/e2e/mail_corpus.py [OUT.mbox]`, which prints them (and writes the mbox).

The mbox written by write_mbox() is mboxrd:

    From MAILER-DAEMON Thu Jan  1 00:00:00 1970\\n     separator line before each message
    <the message, line ends LF, each line matching /^>*From / with one more ">" in front>
    \\n                                                  one blank line ending each message

CRLF (and any run of CRs before an LF) becomes LF, and a message whose last line has no line end
gets one. So the bytes that an importer of such an mbox must store for a message are exactly
expected_stored(message): the message as it is in the mbox, with the ">From" quoting removed
(one ">" off each line matching /^>+From /), line ends LF, ending with LF, without the blank line
that ends it in the mbox. In other words expected_stored(m) == mbox_unquote(mbox_quote(m)), and
for a message already in that form (LF only, ending with LF) it is the message itself. Blank lines
that the message itself ends with are kept: only the one added by write_mbox() is not part of it.
split_mbox() is a reference reader that gives back these bytes for every message of an mbox.
"""

import ast
import gzip
import pathlib
import re
import textwrap

PACKAGES = ["libpython3.11-testsuite", "spamassassin"]

DPKG_INFO = pathlib.Path("/var/lib/dpkg/info")
MBOX_SEPARATOR = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
MAX_FILE_SIZE = 4 * 1024 * 1024

# Files worth opening: text-ish names only (the Python test suite also ships images, sounds, ...).
_CANDIDATE_NAME = re.compile(r"(\.(txt|msg|eml|mail|mbox)|^msg_[^.]*)(\.gz)?$", re.IGNORECASE)
# Python test sources that write messages as string literals.
_EMBEDDING_SOURCE = re.compile(r"/test_email/test_[^/]*\.py$|/test_mailbox\.py$")
_HEADER_FIELD = re.compile(rb"^[!-9;-~]+[ \t]*:")
_FROM_LINE = re.compile(rb"^>*From ")
_QUOTED_FROM_LINE = re.compile(rb"^>+From ")
_CRS_LF = re.compile(rb"\r*\n")
# Templates that a test fills in ("Content-Type: {}", "charset=%s") are not messages.
_PLACEHOLDER = re.compile(rb"\{[\w.]*\}|%(\(\w+\))?[sdr]")


def package_files(package):
    """The regular files that dpkg says `package` installed (empty if it is not installed)."""
    lists = sorted(DPKG_INFO.glob(f"{package}.list")) + sorted(DPKG_INFO.glob(f"{package}:*.list"))
    files = []
    for listing in lists:
        for line in listing.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            path = pathlib.Path(line)
            if line.startswith("/") and path.is_file() and not path.is_symlink():
                files.append(path)
    return files


def looks_like_message(data, need_blank_line=False):
    """True if `data` (bytes) starts with an RFC 822 header block: "Name: value" fields and their
    continuation lines (an mbox "From " envelope line on top is allowed), at least one field,
    ended by a blank line or, unless need_blank_line, by the first line that is not a field
    (a broken message that lacks the blank line, as test_email's msg_35.txt)."""
    if b"\0" in data[:8192]:
        return False
    lines = data.split(b"\n")
    fields = 0
    for i, line in enumerate(lines):
        line = line.rstrip(b"\r")
        if line == b"":
            return fields > 0 and i + 1 < len(lines)
        if i == 0 and line.startswith(b"From "):
            continue  # mbox envelope line
        if line[:1] in (b" ", b"\t") and fields:
            continue  # folded field
        if _HEADER_FIELD.match(line):
            fields += 1
            continue
        return fields > 0 and not need_blank_line
    return False


def read_message(path):
    """The bytes of the message file at `path`, decompressed if it ends with .gz."""
    data = pathlib.Path(path).read_bytes()
    if str(path).endswith(".gz"):
        data = gzip.decompress(data)
    return data


def _package_message_files(package):
    found = []
    for path in package_files(package):
        if not _CANDIDATE_NAME.search(path.name) or path.stat().st_size > MAX_FILE_SIZE:
            continue
        try:
            data = read_message(path)
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        if looks_like_message(data):
            found.append(path)
    return sorted(found)


def corpus_files():
    """Sorted paths of the message files shipped by the PACKAGES that are installed."""
    return sorted({path for package in PACKAGES for path in _package_message_files(package)})


def _literal_bytes(value):
    if isinstance(value, str):
        try:
            return textwrap.dedent(value).encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return None  # lone surrogates that stand for no byte
    return textwrap.dedent(value.decode("latin-1")).encode("latin-1")


def _embedded_messages(path):
    """(line number, bytes) of the string literals in the Python source `path` that are whole
    messages: a header block of at least two fields and a body that is not blank."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))):
            continue
        data = _literal_bytes(node.value)
        if data is None:
            continue
        data = data.lstrip(b"\r\n")
        if not looks_like_message(data, need_blank_line=True):
            continue
        head, _, body = _CRS_LF.sub(b"\n", data).partition(b"\n\n")
        fields = sum(1 for line in head.split(b"\n") if _HEADER_FIELD.match(line))
        if body.strip() and fields >= 2 and not _PLACEHOLDER.search(head):
            found.append((node.lineno, node.col_offset, data))
    return [(lineno, data) for lineno, _, data in sorted(found)]


def corpus_messages(embedded=True):
    """[(name, bytes)]: every message file of corpus_files(), then (unless embedded=False) the
    messages written as literals in the Python email tests. Names look like
    "spamassassin:sample-spam.txt" or "libpython3.11-testsuite:test_email.py:1234" (file and
    line of the literal). Messages that are the same once stored (see expected_stored) are
    given once only."""
    messages = []
    seen = set()

    def add(name, data):
        key = expected_stored(data)
        if key not in seen:
            seen.add(key)
            messages.append((name, data))

    for package in PACKAGES:
        files = _package_message_files(package)
        basenames = [path.name for path in files]
        for path in files:
            name = path.name if basenames.count(path.name) == 1 else str(path)
            add(f"{package}:{name}", read_message(path))
    if embedded:
        for package in PACKAGES:
            for path in sorted(package_files(package)):
                if _EMBEDDING_SOURCE.search(str(path)):
                    for lineno, data in _embedded_messages(path):
                        add(f"{package}:{path.name}:{lineno}", data)
    return messages


def _lf_lines(message):
    if message and not message.endswith(b"\n"):
        message += b"\n"
    return _CRS_LF.sub(b"\n", message)


def expected_stored(message):
    """What an importer of write_mbox()'s mbox must store for `message` (see the docstring)."""
    return _lf_lines(message)


def mbox_quote(message):
    """`message` as write_mbox() puts it between its separator line and its blank line."""
    lines = _lf_lines(message).split(b"\n")
    return b"\n".join(b">" + line if _FROM_LINE.match(line) else line for line in lines)


def mbox_unquote(body):
    """Reverses the mboxrd quoting of one message: one ">" off each line matching /^>+From /."""
    lines = body.split(b"\n")
    return b"\n".join(line[1:] if _QUOTED_FROM_LINE.match(line) else line for line in lines)


def write_mbox(path, messages):
    """Writes `messages` (bytes, or (name, bytes) pairs as corpus_messages() gives) to `path` as
    an mboxrd file; returns the number of messages written."""
    count = 0
    with open(path, "wb") as out:
        for message in messages:
            if isinstance(message, tuple):
                message = message[1]
            out.write(MBOX_SEPARATOR)
            out.write(mbox_quote(message))
            out.write(b"\n")
            count += 1
    return count


def split_mbox(data):
    """Reference reader for an mboxrd file (bytes): the stored bytes of each message, i.e. with
    the separator line, the one blank line before the next separator (or the end) and the
    quoting removed."""
    messages = []
    current = None
    for line in data.splitlines(keepends=True):
        if line.startswith(b"From "):
            if current is not None:
                messages.append(current)
            current = []
        elif current is not None:
            current.append(line)
    if current is not None:
        messages.append(current)
    result = []
    for lines in messages:
        if lines and lines[-1] in (b"\n", b"\r\n"):
            lines = lines[:-1]
        result.append(mbox_unquote(b"".join(lines)))
    return result


if __name__ == "__main__":
    import collections
    import sys

    counts = collections.Counter(name.split(":")[0] + (" (literals)" if name.count(":") > 1 else "")
                                 for name, _ in corpus_messages())
    for source, count in sorted(counts.items()):
        print(f"{count:5d}  {source}")
    print(f"{sum(counts.values()):5d}  total ({len(corpus_files())} files)")
    if len(sys.argv) > 1:
        print(write_mbox(sys.argv[1], corpus_messages()), "messages written to", sys.argv[1])
