"""Text decoding shared by source-specific readers: gzip, byte-order marks, legacy code pages.

Canonical formats are UTF-8 only (a file in another encoding is rejected whole, with the error).
Source formats whose producers are known to write Windows-1252 (Western European legacy
systems) decode with :func:`decode_text`: UTF-8 when the bytes are valid UTF-8 (with or
without a BOM), else Windows-1252 (a superset of Latin-1's printable range).
"""

from __future__ import annotations

from pathlib import Path

from transforms.readers.canonical import read_bytes

FALLBACK_ENCODING = "cp1252"


def decode_text(data: bytes, fallback: str = FALLBACK_ENCODING) -> str:
    """UTF-8 (BOM removed) if the bytes are valid UTF-8, else ``fallback`` (strict)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(fallback)


def read_text(path: Path, fallback: str = FALLBACK_ENCODING) -> str:
    """A landed file's text: gunzipped (from its content), decoded by :func:`decode_text`."""
    return decode_text(read_bytes(path), fallback)
