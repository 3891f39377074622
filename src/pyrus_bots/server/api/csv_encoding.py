"""The ``encoding`` of a CSV register: which bytes to send and which charset to name.

Python and TypeScript callers send a codec name (``utf-8``, ``windows-1251``); the C# client sends
.NET's ``Encoding.EncodingName``, a display name such as ``Unicode (UTF-8)`` or
``Cyrillic (Windows)``, so the English display names of the usual encodings are read too.
Characters the encoding cannot hold become ``?``, as .NET's encoders do. The answer names the
charset (its IANA name), which is what the clients decode the text with.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from pyrus_bots.protocol.errors import PyrusError

# .NET display names (Encoding.EncodingName, English) of the encodings a CSV is asked in.
_DOTNET_NAMES = {
    "unicode (utf-8)": "utf-8",
    "unicode": "utf-16-le",
    "unicode (big-endian)": "utf-16-be",
    "unicode (utf-32)": "utf-32-le",
    "unicode (utf-32 big-endian)": "utf-32-be",
    "us-ascii": "ascii",
    "western european (iso)": "latin-1",
    "western european (windows)": "cp1252",
    "central european (windows)": "cp1250",
    "cyrillic (windows)": "cp1251",
    "cyrillic (dos)": "cp866",
    "cyrillic (koi8-r)": "koi8-r",
    "cyrillic (koi8-u)": "koi8-u",
    "cyrillic (iso)": "iso8859-5",
}

# Python codec names whose IANA charset name differs.
_IANA_NAMES = {
    "ascii": "us-ascii",
    "utf-8-sig": "utf-8",
    "cp866": "ibm866",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "utf-32-le": "utf-32le",
    "utf-32-be": "utf-32be",
}


# Python text codecs that are no charset (escapes, host names, a codec that always fails).
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "charmap"}
)


@dataclass(frozen=True, slots=True)
class CsvEncoding:
    codec: str
    charset: str

    def encode(self, text: str) -> bytes:
        return text.encode(self.codec, errors="replace")


UTF8 = CsvEncoding("utf-8", "utf-8")


def csv_encoding(name: object) -> CsvEncoding:
    """The encoding named by the register's ``encoding`` (UTF-8 when absent or empty); an
    unknown name, or one that is not a text encoding, is 400 ``invalid_value_format``."""
    if name is None or name == "":
        return UTF8
    if not isinstance(name, str):
        raise PyrusError("invalid_value_format", "encoding must be a string")
    wanted = name.strip()
    wanted = _DOTNET_NAMES.get(wanted.casefold(), wanted)
    try:
        info = codecs.lookup(wanted)
    except LookupError:
        raise PyrusError("invalid_value_format", f"unknown encoding {name[:50]!r}") from None
    # base64, zlib, rot13 ... are byte or text transforms, not charsets.
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        raise PyrusError("invalid_value_format", f"unknown encoding {name[:50]!r}")
    codec = info.name
    if codec.startswith("cp125"):
        charset = f"windows-{codec[2:]}"
    elif codec.startswith("iso8859-"):
        charset = f"iso-8859-{codec[8:]}"
    else:
        charset = _IANA_NAMES.get(codec, codec)
    return CsvEncoding(codec, charset)
