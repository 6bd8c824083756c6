"""Text and tables read from pictures: scanned PDF pages and tables printed as images.

The OCR engine is RapidOCR 1.4.4 (PP-OCRv4 Chinese detection and recognition models
shipped inside its wheel, run by onnxruntime on the CPU, one thread; nothing is
downloaded), loaded once per process on first use.

A picture is prepared the way a scan needs: the red of an office seal dropped (an
HSV threshold), the skew measured by the sharpness of the row profile and undone.
Ruling lines are found with morphology (long thin openings of the ink) and handed to
pdfplumber's table finder, the one the PDF reader uses for drawn rulings, so a
table in a picture becomes the same rows (merged cells '' at the positions they
cover) as a ruled table of a text PDF. Text boxes are detected on the picture,
assigned to the cell holding their centre, and recognised with the rulings erased;
a cell with ink but no box is recognised on its own. Text outside the tables
becomes lines (boxes of one height band, left to right; a wide gap kept as two
spaces, as the PDF reader keeps the gaps of an unruled table).

Every cell and line keeps its box and the recognition confidence in its locator
(``p3 ocr box(x0,y0,x1,y1) conf 0.93``). A number read with low confidence is never
used: the cell is left empty (NULL) with an issue naming the box, and the table's
arithmetic is left to judge the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..model import Issue, Row
from ..tables.common import join_wrapped
from .pdf_tables import ruling_line

# Resolution pictures are read at: pages are rendered at this dpi, larger pictures
# scaled down to it (see BENCHMARKS.md, "OCR").
OCR_DPI = 200
# A number recognised with less confidence than this is left NULL (see BENCHMARKS.md).
MIN_NUMBER_CONFIDENCE = 0.80
# Pictures smaller than this (pixels) hold no table: logos, seals, signatures.
MIN_TABLE_PICTURE = (400, 150)
# Pictures wider than this (pixels: an A4 page at twice OCR_DPI) are scaled down first.
MAX_PICTURE_WIDTH = 3300
_MAX_SKEW = 4.0  # degrees searched either way
_TABLE_MIN_ROWS = 2
# Text boxes are found at this resolution (a digit of a 10.5 pt table is still 16 px
# high), then recognised at the picture's own.
DETECT_DPI = 110
_SURE = 0.9
_REC_BATCH = 1  # onnxruntime on one thread: a batch costs more per line than lines one by one

_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
# The recogniser prints ASCII marks in Chinese text; between CJK characters they are
# the full-width marks the text readers see.
_ASCII_MARK = re.compile(r"(?<=[\u3400-\u9fff])([,:;])(?=[\u3400-\u9fff])")
_FULL_MARK = {",": "，", ":": "：", ";": "；"}
# A cell holding a number as tables print one: digits, an approximation word, a unit.
_NUMBER_CELL = re.compile(
    r"(?:约|近|逾|超过)?[+\-]?\d[\d,]*(?:\.\d+)?(?:余|多)?(?:万元|亿元|元|件|个|条|次|人次|项|人)?"
)
_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d[\d,.]*")
# What a misread number looks like: digits mixed with letters OCR confuses with
# digits, or those letters alone in a cell.
_MISREAD = re.compile(r"[\dOoDQIl|SB.,]*[OoDQIl|SB][\dOoDQIl|SB.,]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_DASH_CELL = re.compile(r"[一—–\-－_]+")
_BLANK_MARKS = set("—–-－─_/／")
_PAGE_NUMBER = re.compile(r"[-—－\s]*\d{1,3}[-—－\s]*")
_PLAIN_NUMBER = re.compile(r"[+\-]?\d+(?:,\d{3})*(?:\.\d+)?")

_engine = None


def engine():
    """The process's OCR engine (loaded on first use, about a quarter second)."""
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR

        _engine = RapidOCR(
            intra_op_num_threads=1,
            inter_op_num_threads=1,
            use_cls=False,
            max_side_len=10_000,  # never scaled down behind our back: OCR_DPI decides
            text_score=0.0,  # every box comes back; confidence is judged here
        )
    return _engine


@dataclass(frozen=True)
class Box:
    """A recognised text box in the (deskewed) picture's pixels."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float
    digits_conf: float = 1.0  # the least probable digit in the text

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Picture:
    """What was read from one picture: rows placed by their top (in the caller's
    units), issues, and the text as one string."""

    placed: list[tuple[float, Row, int]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    text: str = ""
    tables: int = 0


# --- preparing the picture


def fit_picture(img, placed_dpi: float | None):
    """(picture, dpi) to read an embedded picture at. How large its print is in its
    pixels is unknown (a table pasted and shrunk to fit the page), so it is read at
    its own pixels, scaled down only past MAX_PICTURE_WIDTH, and taken to be at
    OCR_DPI unless placed at less (a small picture stretched over the page)."""
    if img.width > MAX_PICTURE_WIDTH:
        f = MAX_PICTURE_WIDTH / img.width
        img = img.resize((MAX_PICTURE_WIDTH, max(1, round(img.height * f))))
        placed_dpi = None if placed_dpi is None else placed_dpi * f
    dpi = float(OCR_DPI) if placed_dpi is None else min(float(OCR_DPI), placed_dpi)
    return img, dpi


def drop_red(rgb: np.ndarray) -> np.ndarray:
    """Grey picture without the red of a seal (an HSV threshold): red ink on paper
    (saturated, bright in its red channel) turns to paper; a reddish pixel stands at
    its brightest channel, so black print under the seal and a ruling's grey edge stay
    dark while the seal's edges, whose colour JPEG blurs away, fade."""
    import cv2

    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((h <= 15) | (h >= 155)) & (s >= 20)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gray[red] = v[red]
    gray[red & (s >= 60) & (v >= 140)] = 255
    return gray


def _ink(gray: np.ndarray) -> np.ndarray:
    import cv2

    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return (gray < min(max(t + 1, 100), 200)).astype(np.uint8) * 255


def skew_angle(gray: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise) that makes text lines level: the one
    whose row profile of ink is sharpest."""
    import cv2

    ink = _ink(gray)
    scale = 1000 / max(ink.shape)
    small = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1)
        rotated = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST)
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.25), key=sharpness)
    return float(max(np.arange(best - 0.25, best + 0.26, 0.05), key=sharpness))


def _rotate(gray: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The picture rotated by `angle` and the matrix back to the original pixels."""
    import cv2

    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1)
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return out, cv2.invertAffineTransform(m)


# --- ruling lines and tables


def _segments(ink: np.ndarray, horizontal: bool, length: int) -> tuple[np.ndarray, list[dict]]:
    import cv2

    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
    mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    lines = []
    for x, y, w, h, _area in stats[1:n]:
        if horizontal:
            ym = y + h / 2
            lines.append(ruling_line(float(x), float(x + w), ym, ym))
        else:
            xm = x + w / 2
            lines.append(ruling_line(xm, xm, float(y), float(y + h)))
    return mask, lines


class _Box:
    def __init__(self, width: float, height: float):
        self.bbox = (0, 0, width, height)


def _tables(ink: np.ndarray, dpi: float):
    """Ruled tables of the picture (pdfplumber tables on the found rulings) and the
    mask of the rulings."""
    from pdfplumber.table import TableFinder

    h, w = ink.shape
    length = max(25, int(dpi * 0.35))  # longer than any character stroke
    hmask, horizontal = _segments(ink, True, length)
    vmask, vertical = _segments(ink, False, length)
    mask = hmask | vmask
    if len(horizontal) < 2 or len(vertical) < 2:
        return [], mask
    tol = max(3.0, dpi / 72 * 3)
    finder = TableFinder(
        _Box(w, h),
        {
            "vertical_strategy": "explicit",
            "horizontal_strategy": "explicit",
            "explicit_vertical_lines": vertical,
            "explicit_horizontal_lines": horizontal,
            "snap_tolerance": tol,
            "join_tolerance": tol,
            "intersection_tolerance": tol,
        },
    )
    tables = [t for t in finder.tables if len(t.rows) >= _TABLE_MIN_ROWS and len(t.columns) >= 2]
    return tables, mask


# --- recognition


def _detect(gray: np.ndarray, dpi: float) -> list[np.ndarray]:
    """Text boxes (quadrilaterals in the picture's pixels), found at DETECT_DPI."""
    import cv2

    f = min(1.0, DETECT_DPI / dpi)
    small = gray if f == 1.0 else cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    boxes, _ = engine().text_det(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
    if boxes is None or len(boxes) == 0:
        return []
    return [np.asarray(b, dtype=np.float32) / f for b in boxes]


# Glyphs one digit is printed or read as: in a cell holding a number, a round glyph is
# a zero and an upright bar a one, so their probabilities add up.
_DIGIT_GLYPHS = {
    "0": "0Oo〇０",
    "1": "1lI|丨１",
    **{d: d + chr(ord("０") + int(d)) for d in "23456789"},
}


@dataclass(frozen=True)
class Reading:
    text: str  # as read (full-width digits made ASCII)
    conf: float  # mean of the characters' probabilities (the engine's own score)
    number: str | None = None  # the text as a number, when every glyph is a digit's
    number_conf: float = 0.0  # the least probable digit of `number`
    digits_conf: float = 1.0  # the least probable digit anywhere in the text


def _decoder():
    rec = engine().text_rec
    chars = rec.postprocess_op.character
    index = {c: i for i, c in enumerate(chars)}
    classes = {
        digit: [index[g] for g in glyphs if g in index] for digit, glyphs in _DIGIT_GLYPHS.items()
    }
    of_glyph = {i: digit for digit, ids in classes.items() for i in ids}
    for mark in ",.":
        if mark in index:
            classes[mark] = [index[mark]]
            of_glyph[index[mark]] = mark
    return rec, chars, classes, of_glyph


def _read(probs: np.ndarray, chars, classes, of_glyph) -> Reading:
    """CTC decoding of one line: argmax per step, repeats collapsed, blanks dropped."""
    best = probs.argmax(axis=1)
    text, confs, digits, digit_confs = [], [], [], []
    digits_conf = 1.0
    k = 0
    while k < len(best):
        j = k
        while j + 1 < len(best) and best[j + 1] == best[k]:
            j += 1
        idx = int(best[k])
        if idx != 0 and idx < len(chars):
            step = k + int(probs[k : j + 1, idx].argmax())
            text.append(chars[idx])
            confs.append(float(probs[step, idx]))
            digit = of_glyph.get(idx)
            if chars[idx].translate(_FULLWIDTH).isdigit() and digit is not None:
                digits_conf = min(digits_conf, float(probs[step, classes[digit]].sum()))
            if digit is not None and digits is not None:
                digits.append(digit)
                digit_confs.append(float(probs[step, classes[digit]].sum()))
            elif chars[idx] != " ":
                digits = None
        k = j + 1
    read = "".join(text).translate(_FULLWIDTH).strip()
    read = _ASCII_MARK.sub(lambda m: _FULL_MARK[m.group(1)], read)
    conf = float(np.mean(confs)) if confs else 0.0
    number = "".join(digits) if digits else None
    if number is None or not _PLAIN_NUMBER.fullmatch(number):
        return Reading(read, conf, digits_conf=digits_conf)
    return Reading(read, conf, number, min(digit_confs), digits_conf)


def _recognise(crops: list[np.ndarray]) -> list[Reading]:
    """Each crop (grey) recognised as one line of text."""
    import cv2

    if not crops:
        return []
    rec, chars, classes, of_glyph = _decoder()
    bgr = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops]
    order = np.argsort([c.shape[1] / max(c.shape[0], 1) for c in bgr])
    out: list[Reading | None] = [None] * len(bgr)
    for start in range(0, len(order), _REC_BATCH):
        batch = order[start : start + _REC_BATCH]
        # As wide as the widest crop of the batch (crops come sorted by width): a lone
        # digit is not padded out to a line's width.
        ratio = max(1.0, *(bgr[i].shape[1] / max(bgr[i].shape[0], 1) for i in batch))
        norm = np.stack([rec.resize_norm_img(bgr[i], ratio) for i in batch]).astype(np.float32)
        preds = rec.session(norm)[0]
        for i, p in zip(batch, preds):
            out[i] = _read(p, chars, classes, of_glyph)
    return out  # type: ignore[return-value]


def _crop(gray: np.ndarray, x0, y0, x1, y1, margin: float | None = None) -> np.ndarray:
    """The ink inside a box on fresh paper, specks cleared: the recogniser reads a
    lone digit far better without a margin beside it (a 0 with paper around it is
    read as a full stop)."""
    h, w = gray.shape
    xa, ya = max(0, int(x0)), max(0, int(y0))
    xb, yb = min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))
    region = gray[ya:yb, xa:xb].copy()
    if region.size == 0:
        return np.full((8, 8), 255, np.uint8)
    _despeckle(region)
    ys, xs = np.nonzero(region < 160)
    if len(ys):
        region = region[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    ih, iw = region.shape
    # A narrow glyph (a lone digit) is read best with little paper beside it, a
    # square one (a lone CJK character: 人 read as 天) with more.
    if margin is None:
        margin = 0.2 if iw < 0.8 * ih else 0.5
    hp = max(2, round(margin * ih))
    vp = max(2, round(max(0.25, margin / 2) * ih))
    out = np.full((ih + 2 * vp, iw + 2 * hp), 255, np.uint8)
    out[vp : vp + ih, hp : hp + iw] = region
    return out


def _despeckle(region: np.ndarray) -> None:
    """Specks of scanner noise (blots of a few pixels) outside the text turned to
    paper, in place: the recogniser reads a speck beside a digit as a full stop or a
    quote. A small blot among the characters (a decimal point) is always kept."""
    import cv2

    ink = (region < 160).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 2:
        return
    small = max(4, (region.shape[0] // 8) ** 2)
    area = stats[1:, cv2.CC_STAT_AREA]
    big = [k + 1 for k in np.nonzero(area > small)[0]]
    if not big:
        return
    x0 = min(stats[k, cv2.CC_STAT_LEFT] for k in big)
    y0 = min(stats[k, cv2.CC_STAT_TOP] for k in big)
    x1 = max(stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH] for k in big)
    y1 = max(stats[k, cv2.CC_STAT_TOP] + stats[k, cv2.CC_STAT_HEIGHT] for k in big)
    dot = max(2, region.shape[0] // 8)
    for k in range(1, n):
        if stats[k, cv2.CC_STAT_AREA] > small:
            continue
        if stats[k, cv2.CC_STAT_WIDTH] > dot or stats[k, cv2.CC_STAT_HEIGHT] > dot:
            continue  # a stroke (a minus sign), not a speck
        left, top = stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_TOP]
        right = left + stats[k, cv2.CC_STAT_WIDTH]
        bottom = top + stats[k, cv2.CC_STAT_HEIGHT]
        if right <= x0 or left >= x1 or bottom <= y0 or top >= y1:
            region[labels == k] = 255


def _leading_dash(gray: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether a short level stroke stands before the characters in a box: a minus
    sign, which a reading without one has lost."""
    import cv2

    x0, y0, x1, y1 = (int(v) for v in box)
    region = gray[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    if region.size == 0:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(
        (region < 160).astype(np.uint8), connectivity=8
    )
    comps = [stats[k] for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= 2]
    if not comps:
        return False
    tall = max(c[cv2.CC_STAT_HEIGHT] for c in comps)
    chars = [c for c in comps if c[cv2.CC_STAT_HEIGHT] >= 0.5 * tall]
    start = min(c[cv2.CC_STAT_LEFT] for c in chars)
    top = min(c[cv2.CC_STAT_TOP] for c in chars)
    bottom = max(c[cv2.CC_STAT_TOP] + c[cv2.CC_STAT_HEIGHT] for c in chars)
    for c in comps:
        w, h = c[cv2.CC_STAT_WIDTH], c[cv2.CC_STAT_HEIGHT]
        mid = c[cv2.CC_STAT_TOP] + h / 2
        if (
            start - 0.6 * tall <= c[cv2.CC_STAT_LEFT] + w <= start  # just before the digits
            and w >= max(1.5 * h, 0.25 * tall)  # as wide as a minus, not a speck
            and h <= 0.35 * tall
            and top + 0.2 * (bottom - top) <= mid <= bottom - 0.2 * (bottom - top)
        ):
            return True
    return False


def _stacked(gray: np.ndarray, box: tuple[float, float, float, float]):
    """A box of text set one character per line (a vertical label) as one box per
    character; any other box as it is. Characters are told apart by the gaps between
    rows of ink, strokes of one character (三) kept together while they fit a square."""
    x0, y0, x1, y1 = box
    if y1 - y0 < 1.8 * (x1 - x0):
        return [box]
    region = gray[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] < 160
    cols = np.nonzero(region.any(axis=0))[0]
    if len(cols) == 0:
        return [box]
    width = cols[-1] - cols[0] + 1
    inked = region.any(axis=1)
    runs, start = [], None
    for y, on in enumerate([*inked, False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            runs.append([start, y])
            start = None
    pieces: list[list[int]] = []
    for a, b in runs:
        if pieces and b - pieces[-1][0] <= 1.15 * width:
            pieces[-1][1] = b
        else:
            pieces.append([a, b])
    if len(pieces) < 2:
        return [box]
    return [(x0, y0 + a - 1, x1, y0 + b + 1) for a, b in pieces]


def _reading_order(boxes: list[Box]) -> list[Box]:
    return [b for line in _lines(boxes) for b in line]


def _side_by_side(gray: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """The crops of boxes as one line, each centred on paper of the tallest one's
    height (a 一 keeps its size), a little apart."""
    crops = [_crop(gray, b.x0, b.y0, b.x1, b.y1) for b in boxes]
    height = max(c.shape[0] for c in crops)
    parts = []
    for c in crops:
        part = np.full((height, c.shape[1]), 255, np.uint8)
        top = (height - c.shape[0]) // 2
        part[top : top + c.shape[0]] = c
        parts += [part, np.full((height, max(2, height // 8)), 255, np.uint8)]
    return np.hstack(parts[:-1])


def _join(boxes: list[Box]) -> str:
    """Boxes of one cell in reading order: lines top to bottom, CJK joined without space."""
    return join_wrapped(b.text for line in _lines(boxes) for b in line if b.text)


def _lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into lines by their vertical centre, each left to right."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if lines:
            last = lines[-1]
            yc = sum(x.cy for x in last) / len(last)
            hh = max(min(x.height for x in last), 1)
            if abs(b.cy - yc) <= 0.5 * min(hh, b.height):
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _misread_number(text: str) -> bool:
    """A table cell OCR could not read as a number, a label or a blank mark: letters
    among digits ('1S', 'B'), digits with stray marks ('0.', "'0", '2:'), marks alone."""
    t = text.replace(" ", "")
    if not t or _PLAIN_NUMBER.fullmatch(t) or set(t) <= _BLANK_MARKS:
        return False
    if _CJK.search(t):
        return False  # a label, or a number with its unit (3200余, 160万元)
    if _MISREAD.fullmatch(t):
        return True
    return not re.search(r"[A-Za-z]{2,}", t)  # a word of Latin letters is a label


# --- the picture


def read_picture(
    rgb: np.ndarray,
    where: str,
    page: int | None,
    dpi: float,
    to_caller: Callable[[float, float], tuple[float, float]] = lambda x, y: (x, y),
    tables_from: int = 1,
) -> Picture:
    """Rows of one picture (RGB array). `where` names it in locators ('p3',
    'picture 2'); `to_caller` maps its pixels to the caller's coordinates (PDF
    points from the page's top left, for a PDF); table numbers start at `tables_from`."""
    import cv2

    gray = drop_red(np.ascontiguousarray(rgb[..., :3]))
    angle = skew_angle(gray)
    back = None
    if abs(angle) >= 0.1:
        gray, back = _rotate(gray, angle)

    def caller(x: float, y: float) -> tuple[float, float]:
        if back is not None:
            x, y = (
                back[0, 0] * x + back[0, 1] * y + back[0, 2],
                back[1, 0] * x + back[1, 1] * y + back[1, 2],
            )
        return to_caller(x, y)

    def box_text(x0, y0, x1, y1) -> str:
        pts = [caller(x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return f"box({min(xs):.0f},{min(ys):.0f},{max(xs):.0f},{max(ys):.0f})"

    ink = _ink(gray)
    tables, rulings = _tables(ink, dpi)
    clean = gray.copy()
    clean[cv2.dilate(rulings, np.ones((5, 5), np.uint8)) > 0] = 255
    specks = cv2.morphologyEx(
        (clean < 160).astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)
    )

    quads = _detect(gray, dpi)
    result = Picture()
    # table cells: (table, row, col) -> bbox
    cells: list[tuple[int, int, int, tuple[float, float, float, float]]] = []
    for ti, t in enumerate(tables):
        for ri, row in enumerate(t.rows):
            for ci, c in enumerate(row.cells):
                if c is not None:
                    cells.append((ti, ri, ci, c))

    def pieces(x0: float, y0: float, x1: float, y1: float):
        """The box cut at the rulings it crosses: (cell or None, clipped box). A box
        whose text runs into the next cell (a label touching its ruling) is read in
        each cell apart, so no cell loses its text to its neighbour."""
        area = (x1 - x0) * (y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        out = []
        for k, (_, _, _, (a0, b0, a1, b1)) in enumerate(cells):
            w, h = min(x1, a1 - 4) - max(x0, a0 + 4), min(y1, b1 - 4) - max(y0, b0 + 4)
            if w < 3 or h < 3:
                continue
            centre = a0 <= cx < a1 and b0 <= cy < b1
            if centre or w * h >= 0.2 * area:
                clipped = (max(x0, a0 + 4), max(y0, b0 + 4), min(x1, a1 - 4), min(y1, b1 - 4))
                inner = specks[int(clipped[1]) : int(clipped[3]), int(clipped[0]) : int(clipped[2])]
                if centre or int(inner.sum()) >= 12:
                    out.append((k, clipped))
        return out or [(None, (x0, y0, x1, y1))]

    crops, owners = [], []  # owner: cell index or None (outside every table)
    for q in quads:
        xs, ys = q[:, 0], q[:, 1]
        for k, box in pieces(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())):
            for piece in _stacked(clean, box):
                crops.append(piece)
                owners.append(k)
    readings = _recognise([_crop(clean, *c) for c in crops])
    # A lone CJK character read with doubt (a unit: 人 read as 天) is read again with
    # more paper around it; the surest reading stands.
    doubtful = [
        i
        for i, r in enumerate(readings)
        if len(r.text) == 1 and _CJK.match(r.text) and r.conf < _SURE and owners[i] is not None
    ]
    for margin in (0.9, 1.4):
        again = _recognise([_crop(clean, *crops[i], margin=margin) for i in doubtful])
        for i, r in zip(doubtful, again):
            if r.text and r.conf > readings[i].conf:
                readings[i] = r
    by_cell: dict[int, list[Box]] = {}
    outside: list[Box] = []
    for (x0, y0, x1, y1), k, r in zip(crops, owners, readings):
        if not r.text:
            continue
        if k is not None and r.number is not None:
            b = Box(r.number, x0, y0, x1, y1, r.number_conf, r.number_conf)
        else:
            b = Box(r.text, x0, y0, x1, y1, r.conf, r.digits_conf)
        (outside if k is None else by_cell.setdefault(k, [])).append(b)

    # A cell of several lines (a wrapped label, a label set one character a line) is
    # read again as one line, its pieces side by side: a lone character is read far
    # worse than a phrase (供 alone read as 准).
    multi = [k for k, boxes in by_cell.items() if len(boxes) >= 2]
    joined = _recognise([_side_by_side(clean, _reading_order(by_cell[k])) for k in multi])
    for k, r in zip(multi, joined):
        boxes = by_cell[k]
        if r.text and r.conf >= min(b.conf for b in boxes):
            by_cell[k] = [
                Box(
                    r.text,
                    min(b.x0 for b in boxes),
                    min(b.y0 for b in boxes),
                    max(b.x1 for b in boxes),
                    max(b.y1 for b in boxes),
                    r.conf,
                    r.digits_conf,
                )
            ]

    # Cells with ink the detector gave no box: recognised on their own.
    missing = []
    for k, (_, _, _, (x0, y0, x1, y1)) in enumerate(cells):
        if k in by_cell:
            continue
        inner = specks[int(y0) + 4 : int(y1) - 3, int(x0) + 4 : int(x1) - 3]
        if inner.size == 0 or int(inner.sum()) < 12:
            continue
        ys, xs = np.nonzero(inner)
        missing.append(
            (k, (x0 + 4 + xs.min(), y0 + 4 + ys.min(), x0 + 5 + xs.max(), y0 + 5 + ys.max()))
        )
    for (k, bbox), r in zip(missing, _recognise([_crop(clean, *bb) for _, bb in missing])):
        w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
        if h <= max(4, 0.2 * w):
            by_cell[k] = [Box("——", *bbox, 1.0)]  # a level stroke alone: the blank mark
        elif r.number is not None:
            by_cell[k] = [Box(r.number, *bbox, r.number_conf, r.number_conf)]
        else:
            by_cell[k] = [Box(r.text, *bbox, r.conf, r.digits_conf)]

    # Tables.
    grid: dict[tuple[int, int, int], tuple[str, str]] = {}
    for k, (ti, ri, ci, bbox) in enumerate(cells):
        boxes = by_cell.get(k, [])
        loc_box = (
            box_text(*bbox)
            if not boxes
            else box_text(
                min(b.x0 for b in boxes),
                min(b.y0 for b in boxes),
                max(b.x1 for b in boxes),
                max(b.y1 for b in boxes),
            )
        )
        if not boxes:
            grid[(ti, ri, ci)] = ("", f"{where} ocr {loc_box} blank")
            continue
        text = _join(boxes)
        if _DASH_CELL.fullmatch(text.replace(" ", "")):
            text = "——"  # the blank mark, read as 一
        conf = min(b.conf for b in boxes)
        locator = f"{where} ocr {loc_box} conf {conf:.2f}"
        squashed = text.replace(" ", "")
        if not squashed:
            result.issues.append(
                Issue(
                    "value", "OCR found ink in the cell but could not read it; left NULL", locator
                )
            )
        elif _misread_number(squashed):
            result.issues.append(
                Issue("value", f"OCR read {text!r}, not a number; left NULL", locator)
            )
            text = ""
        elif (
            _NUMBER_CELL.fullmatch(squashed)
            and squashed[0].isdigit()
            and _leading_dash(clean, bbox)
        ):
            result.issues.append(
                Issue(
                    "value",
                    f"OCR read {text!r} but a mark before it (a minus sign?) was not read; "
                    "left NULL",
                    locator,
                )
            )
            text = ""
        elif (
            _NUMBER_CELL.fullmatch(squashed)
            and (digits := min(b.digits_conf for b in boxes)) < MIN_NUMBER_CONFIDENCE
        ):
            result.issues.append(
                Issue(
                    "value",
                    f"OCR read {text!r} with confidence {digits:.2f} "
                    f"(below {MIN_NUMBER_CONFIDENCE:.2f}); left NULL",
                    locator,
                )
            )
            text = ""
        grid[(ti, ri, ci)] = (text, locator)
    for ti, t in enumerate(tables):
        number = tables_from + ti
        for ri, row in enumerate(t.rows):
            texts, locs = [], []
            for ci, c in enumerate(row.cells):
                text, loc = grid.get((ti, ri, ci), ("", ""))
                texts.append(text)
                locs.append(loc or f"{where} ocr merged")
            if not any(texts):
                continue
            top = caller(row.bbox[0], row.bbox[1])[1]
            result.placed.append(
                (
                    top,
                    Row(
                        tuple(texts),
                        f"page {page} ocr table {number} row {ri + 1}"
                        if page is not None
                        else f"{where} ocr table {number} row {ri + 1}",
                        page=page,
                        tabular=True,
                        cell_locators=tuple(locs),
                    ),
                    number,
                )
            )
    result.tables = len(tables)

    # Lines outside the tables.
    for line in _lines(outside):
        text = line[0].text
        for a, b in zip(line, line[1:]):
            gap = b.x0 - a.x1
            text += ("  " if gap > max(a.height, b.height) else "") + b.text
        conf = min(b.conf for b in line)
        bbox = (
            min(b.x0 for b in line),
            min(b.y0 for b in line),
            max(b.x1 for b in line),
            max(b.y1 for b in line),
        )
        locator = f"{where} ocr {box_text(*bbox)} conf {conf:.2f}"
        low = [b for b in line if b.digits_conf < MIN_NUMBER_CONFIDENCE]
        margin = bbox[1] > 0.88 * gray.shape[0] or bbox[3] < 0.08 * gray.shape[0]
        if _PAGE_NUMBER.fullmatch(text) and (margin or re.match(r"[-—－]", text)):
            low = []  # a page number: furniture, no figure
            if margin and re.search(r"[-—－]", text):
                # '- 15 -' as printed: the spaces (or a dash) OCR drops put back, as
                # a text layer has them
                text = "- " + re.sub(r"\D", "", text) + " -"
        if low:
            # Numbers in prose read with low confidence are left out, never guessed.
            text = ""
            for a, b in zip([None, *line], line):
                part = _DIGITS.sub("□", b.text) if b in low else b.text
                if a is not None:
                    text += "  " if b.x0 - a.x1 > max(a.height, b.height) else ""
                text += part
            result.issues.append(
                Issue(
                    "narrative",
                    "OCR read numbers with low confidence ("
                    + ", ".join(f"{b.text!r} {b.digits_conf:.2f}" for b in low)
                    + "); left out",
                    locator,
                )
            )
        top = caller(bbox[0], bbox[1])[1]
        result.placed.append((top, Row((text,), locator, page=page), -1))
    result.placed.sort(key=lambda t: t[0])
    result.text = "".join(
        r.cells[0] if len(r.cells) == 1 else "".join(r.cells) for _, r, _ in result.placed
    )
    return result


def _inset(box: tuple[float, float, float, float], d: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return (x0 + d, y0 + d, x1 - d, y1 - d)


def read_document_picture(
    data: bytes, where: str, placed_dpi: Callable[[int], float | None]
) -> Picture | None:
    """A picture a document embeds (a DOCX's word/media, a web page's <img>), read
    when it may hold a statistics table: None when Pillow cannot open it (EMF, a
    broken file), it is too small for a table, or OCR finds no table showing
    statistics-table words in it. `placed_dpi` gives, from the picture's width in
    pixels, its pixels per inch as the document shows it (None: unknown)."""
    from io import BytesIO

    from PIL import Image

    from ..tables import TABLE_PAGE_HINTS

    try:
        img = Image.open(BytesIO(data))
        img.load()
    except MemoryError:
        raise  # the worker's memory limit, not a bad picture
    except Exception:  # noqa: BLE001 - a picture Pillow cannot open is skipped
        return None
    min_w, min_h = MIN_TABLE_PICTURE
    if img.width < min_w or img.height < min_h:
        return None
    img, dpi = fit_picture(img, placed_dpi(img.width))
    pic = read_picture(np.asarray(img.convert("RGB")), where, None, dpi)
    if not pic.tables or not any(h in pic.text.replace(" ", "") for h in TABLE_PAGE_HINTS):
        return None
    return pic
