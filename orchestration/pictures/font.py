"""The CJK font of the pictures: Noto Sans SC (SIL Open Font License 1.1, from
the pylopdf-fonts-zh-cn package), found, checked, and cut down with fontTools
to the characters of the page for embedding."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

FONT_FAMILY = "DisclosureCJK"
FONT_STACK = (
    f'"{FONT_FAMILY}", "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)
# Noto Sans SC Regular as the notofonts/noto-cjk project publishes it
# (Sans/SubsetOTF/SC); a different file is not embedded.
FONT_SHA256 = "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9"
# Always in the subset, whatever the page says.
ALWAYS = " 0123456789.,-—…×→·"


def font_path() -> Path | None:
    """Noto Sans SC from the pylopdf-fonts-zh-cn package, when installed and intact."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    try:
        with path.open("rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != FONT_SHA256:
                return None
    except OSError:
        return None
    return path


def font_face(font: Path, text: str) -> str:
    """A @font-face rule with the font cut down to the characters of `text` (WOFF, base64)."""
    data = base64.b64encode(_subset_woff(font, text)).decode("ascii")
    return (
        "/* Noto Sans SC (subset), SIL Open Font License 1.1, Copyright 2014-2021 Adobe, "
        "with Reserved Font Name 'Source'. */\n"
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: 400 700; '
        f'src: url(data:font/woff;base64,{data}) format("woff"); }}\n'
    )


def _subset_woff(font: Path, text: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = ["*"]  # keep the copyright and license records
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set(ALWAYS))))
    with TTFont(font, lazy=False) as tt:
        subsetter.subset(tt)
        buf = io.BytesIO()
        tt.flavor = "woff"
        tt.save(buf)
    return buf.getvalue()
