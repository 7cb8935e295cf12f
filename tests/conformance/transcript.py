"""Transcript files: XIMSS exchanges written the way the seed writes its examples.

Format (one item per line; `#` starts a comment line):

    @set KEY=VALUE          a server setting (--set) for this transcript
    @admin ARGS...          an admin CLI command run before connecting (shell-quoted); {DIR} is
                            the transcripts directory (for data files kept beside them)
    C: <xml/>               a message the client sends (the zero byte is added)
    S: <xml/>               a message the server must send next
    C2: / S2:               the same for a second session on its own connection (the seed's
                            "another process" making concurrent changes)
    <indented line>         continues the previous C:/S: message (for multi-line examples)

Expected (S:) messages are compared structurally: same element name, same attributes, same
text, same children in order. In expected messages:
    attr="*"                any value, but the attribute must be present
    text *                  (an element whose whole text is `*`) any text
    __match="contains"      on an element: its children need only be found among the actual
                            children (any order, extra children allowed)
In client (C:) messages:
    $cram_md5(USER,PASSWORD)  the RFC 2195 answer to the last <challenge> the server sent
"""

import base64
import re
import shlex
import xml.etree.ElementTree as ET

from ximss_client import cram_md5_response  # tests/e2e is put on sys.path by conftest.py

WILDCARD = "*"
MATCH_ATTR = "__match"
CRAM_MD5 = re.compile(r"\$cram_md5\(([^,()]*),([^()]*)\)")


class Transcript:
    def __init__(self, path):
        self.path = path
        self.settings = {}
        self.admin = []   # argument lists
        self.steps = []   # ("C" | "S", xml text)
        self._parse(path.read_text())

    def _parse(self, text):
        for lineno, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("@set "):
                key, _, value = stripped[5:].strip().partition("=")
                self.settings[key.strip()] = value.strip()
            elif stripped.startswith("@admin "):
                directory = str(self.path.parent)
                self.admin.append([a.replace("{DIR}", directory) for a in shlex.split(stripped[7:])])
            elif stripped[:3] in ("C2:", "S2:"):
                self.steps.append([stripped[:2], stripped[3:].strip()])
            elif stripped[:2] in ("C:", "S:"):
                self.steps.append([stripped[0], stripped[2:].strip()])
            elif line[:1].isspace() and self.steps:
                self.steps[-1][1] += "\n" + stripped
            else:
                raise ValueError(f"{self.path}:{lineno}: cannot parse {line!r}")
        for kind, xml in self.steps:
            if kind.startswith("S"):
                ET.fromstring(xml)  # fail early on a typo in an expected message


def mismatch(expected, actual, path=""):
    """None when `actual` matches `expected` (both Elements), else a description."""
    here = f"{path}/{expected.tag}"
    if expected.tag != actual.tag:
        return f"{path}: expected <{expected.tag}>, got <{actual.tag}>"
    want = {k: v for k, v in expected.attrib.items() if k != MATCH_ATTR}
    if set(want) != set(actual.attrib):
        return f"{here}: attributes {sorted(actual.attrib)} instead of {sorted(want)}"
    for key, value in want.items():
        if value != WILDCARD and actual.get(key) != value:
            return f"{here}: {key}={actual.get(key)!r}, expected {value!r}"
    want_text = (expected.text or "").strip()
    if want_text != WILDCARD and want_text != (actual.text or "").strip():
        return f"{here}: text {actual.text!r}, expected {want_text!r}"
    if expected.get(MATCH_ATTR) == "contains":
        remaining = list(actual)
        for child in expected:
            found = next((a for a in remaining if mismatch(child, a, here) is None), None)
            if found is None:
                return f"{here}: no child matches {ET.tostring(child, encoding='unicode')}"
            remaining.remove(found)
        return None
    if len(expected) != len(actual):
        return f"{here}: {len(actual)} children, expected {len(expected)}"
    for e, a in zip(expected, actual):
        problem = mismatch(e, a, here)
        if problem:
            return problem
    return None


def substitute(client_xml, last_challenge):
    """Expands $cram_md5(...) in a client message."""
    def expand(m):
        if last_challenge is None:
            raise AssertionError("$cram_md5 used before the server sent a <challenge>")
        return cram_md5_response(m.group(1).strip(), m.group(2),
                                 base64.b64decode(last_challenge))
    return CRAM_MD5.sub(expand, client_xml)
