"""What a reader of the Chinese pages sees: the visible text of a page, and the English words left in it.

Allowed, because they are not English to translate:
- upper-case abbreviations of two to five letters (IP, HTTP, GET, POST, LDAP, CSV): technical names
  Chinese readers use as they are;
- the key names Control, Command and Mac, which Django's Chinese help quotes ("按住 Control 键");
- "English", the language switcher's name of that language, written in it as every switcher does;
- tokens with a digit or one of _ . / @ : * in them: paths, file names, addresses, codes, masked hashes;
- the letter of an evaluation class before 类 (A类 to D类: DOMAIN.md's names of the 亩均 classes);
- the names of the test data's groups (leaders, officials) and the data the caller names (user names):
  records, not words of the interface.
"""

import re
from html.parser import HTMLParser

ALLOWED_WORDS = {"Control", "Command", "Mac", "English", "leaders", "officials"}
# A run of Latin letters, with the digits and punctuation that make it a token rather than a word.
TOKEN = re.compile(r"[A-Za-z0-9_\-./@:*’']*[A-Za-z][A-Za-z0-9_\-./@:*’']*")
ABBREVIATION = re.compile(r"[A-Z]{2,5}")
TECHNICAL = re.compile(r"[\d_./@:*]")
LATIN = re.compile(r"[A-Za-z]")
CLASS_NAME = re.compile(r"(?<![A-Za-z])[A-D](?= ?类)")


class _VisibleText(HTMLParser):
    """Collect the text a page shows: its text, titles and placeholders, and its buttons' labels."""

    SKIPPED = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        attrs = dict(attrs)
        self.parts.extend(attrs[name] for name in ("title", "placeholder") if attrs.get(name))
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """Return the text of HTML a reader sees (scripts and styles left out), whitespace collapsed."""
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_words(text: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """Return the words of TEXT in Latin letters that are not allowed above or in DATA, in order, once each."""
    for value in sorted(data, key=len, reverse=True):  # whole tokens only: the user "leader" is not in "leaders"
        text = re.sub(rf"(?<![\w\-]){re.escape(value)}(?![\w\-])", " ", text)
    text = CLASS_NAME.sub(" ", text)
    found = []
    for token in TOKEN.findall(text):
        token = token.strip(".:")
        if not LATIN.search(token) or TECHNICAL.search(token) or token in ALLOWED_WORDS:
            continue
        if ABBREVIATION.fullmatch(token):
            continue
        found.append(token)
    return list(dict.fromkeys(found))
