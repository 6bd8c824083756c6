"""Report bytes to text, whatever the encoding and whatever the page declares.

Order: a byte-order mark; UTF-16/32 without one (told by where the zero bytes
fall); UTF-8; line by line UTF-8 or GB18030 (pages pasted together from two
sites); otherwise the candidates (the declared charset, GB18030, Big5) are
weighed by charset_normalizer against the bytes, so a page that declares big5
or latin1 but holds GBK is still read as GBK. NUL bytes are dropped.
Whatever was repaired is returned as notes, which become extraction issues.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from .refusals import Refusal

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "euc-cn", "hz-gb-2312"}
SAMPLE = 4096


def canonical(name: str | None) -> str | None:
    """A declared charset's codec name (the GB family is read as GB18030, its superset)."""
    if not name:
        return None
    name = name.strip().lower()
    if name in _GB:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def wide_encoding(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) for UTF-16/32 text, with or without a byte-order mark."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return (name, len(bom)) if name != "utf-8" else None
    sample = data[:SAMPLE]
    zeros = [i for i, b in enumerate(sample) if b == 0]
    if len(sample) < 8 or len(zeros) < len(sample) // 40:
        return None  # UTF-16 of Chinese with no ASCII at all has no zeros: detection's job
    n = len(sample)
    for name, lanes in (("utf-32-le", (2, 3)), ("utf-32-be", (0, 1))):
        # outside the BMP's first byte pair nothing is printed: two zero bytes per character
        if all(
            sum(1 for i in range(lane, n, 4) if sample[i] == 0) >= 0.95 * (n // 4) for lane in lanes
        ):
            return name, 0
    for name, lane in (("utf-16-le", 1), ("utf-16-be", 0)):
        on_lane = sum(1 for i in zeros if i % 2 == lane)
        # ASCII puts its zero on one lane; CJK characters such as 一 (U+4E00) on the other
        if on_lane >= 0.8 * len(zeros) and on_lane >= 0.05 * (n // 2):
            return name, 0
    return None


def decode(data: bytes, source: str, declared: str | None = None) -> tuple[str, list[str]]:
    """The text of `data` and notes on what had to be repaired to read it."""
    notes: list[str] = []
    wide = wide_encoding(data)
    if wide is not None:
        name, skip = wide
        body = data[skip:]
        body = body[: len(body) - len(body) % (4 if "32" in name else 2)]
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            text = body.decode(name, errors="replace")
            notes.append(f"text is {name.upper()} with undecodable bytes; they are replaced")
    else:
        text = _narrow(data.removeprefix(codecs.BOM_UTF8), source, canonical(declared), notes)
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        notes.append(f"{text.count(chr(0))} NUL bytes in the text; dropped")
        text = text.replace("\x00", "")
    return text, notes


def _narrow(data: bytes, source: str, declared: str | None, notes: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _utf8_with_gb_lines(data)
    if mixed is not None:
        text, n_gb = mixed
        notes.append(f"mixed encodings: {n_gb} lines are GB18030, the others UTF-8")
        return text
    candidates = list(dict.fromkeys(c for c in (declared, "gb18030", "big5") if c))
    best = from_bytes(data, cp_isolation=candidates).best() or from_bytes(data).best()
    if best is None:
        raise Refusal("unknown_encoding", source=source)
    if declared and canonical(best.encoding) != declared:
        notes.append(f"the page declares {declared} but its bytes are {best.encoding}")
    return str(best)


def _utf8_with_gb_lines(data: bytes) -> tuple[str, int] | None:
    """Text whose lines are each valid UTF-8 or GB18030, mostly UTF-8 (None otherwise)."""
    out, n_utf8, n_gb = [], 0, 0
    for line in data.split(b"\n"):
        try:
            out.append(line.decode("utf-8"))
            n_utf8 += not line.isascii()
        except UnicodeDecodeError:
            try:
                out.append(line.decode("gb18030"))
            except UnicodeDecodeError:
                return None
            n_gb += 1
    return ("\n".join(out), n_gb) if n_utf8 > n_gb else None
