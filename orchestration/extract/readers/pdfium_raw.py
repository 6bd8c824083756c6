"""PDFium functions taking and giving handles as plain addresses (ints).

pypdfium2's raw functions type every handle as a pointer to its own struct:
converting those costs more than many of the calls themselves, and a pointer
object neither compares nor hashes by address. The same C functions called
with ``c_void_p`` in their place take and return ints (None for NULL); other
arguments (matrices, out-parameters) keep their types.
"""

from __future__ import annotations

import ctypes

import pypdfium2.raw as pdfium_c


def _is_handle(kind) -> bool:
    return (
        isinstance(kind, type)
        and issubclass(kind, ctypes._Pointer)
        and getattr(kind._type_, "__name__", "").startswith("struct_fpdf_")
    )


def _plain(kind):
    return ctypes.c_void_p if _is_handle(kind) else kind


def _by_address(name: str):
    fn = getattr(pdfium_c, name)
    proto = ctypes.CFUNCTYPE(_plain(fn.restype), *map(_plain, fn.argtypes))
    return proto(ctypes.cast(fn, ctypes.c_void_p).value)


def address(handle) -> int:
    """The address of a pypdfium2 handle (`PdfPage.raw`, `PdfTextPage.raw`)."""
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


FPDFPage_CountObjects = _by_address("FPDFPage_CountObjects")
FPDFPage_GetObject = _by_address("FPDFPage_GetObject")
FPDFPageObj_GetType = _by_address("FPDFPageObj_GetType")
FPDFPageObj_GetMatrix = _by_address("FPDFPageObj_GetMatrix")
FPDFPageObj_GetBounds = _by_address("FPDFPageObj_GetBounds")
FPDFFormObj_CountObjects = _by_address("FPDFFormObj_CountObjects")
FPDFFormObj_GetObject = _by_address("FPDFFormObj_GetObject")
FPDFTextObj_GetText = _by_address("FPDFTextObj_GetText")
FPDFTextObj_GetFont = _by_address("FPDFTextObj_GetFont")
FPDFTextObj_GetFontSize = _by_address("FPDFTextObj_GetFontSize")
FPDFFont_GetGlyphWidth = _by_address("FPDFFont_GetGlyphWidth")
FPDFFont_GetDescent = _by_address("FPDFFont_GetDescent")
FPDFPath_CountSegments = _by_address("FPDFPath_CountSegments")
FPDFPath_GetPathSegment = _by_address("FPDFPath_GetPathSegment")
FPDFPathSegment_GetPoint = _by_address("FPDFPathSegment_GetPoint")
FPDFPathSegment_GetType = _by_address("FPDFPathSegment_GetType")
FPDFPathSegment_GetClose = _by_address("FPDFPathSegment_GetClose")
FPDFText_CountChars = _by_address("FPDFText_CountChars")
FPDFText_GetTextObject = _by_address("FPDFText_GetTextObject")
FPDFText_GetCharBox = _by_address("FPDFText_GetCharBox")
FPDFText_GetLooseCharBox = _by_address("FPDFText_GetLooseCharBox")
FPDFText_GetCharOrigin = _by_address("FPDFText_GetCharOrigin")
FPDFText_GetMatrix = _by_address("FPDFText_GetMatrix")
FPDFText_HasUnicodeMapError = _by_address("FPDFText_HasUnicodeMapError")
FPDFText_IsGenerated = _by_address("FPDFText_IsGenerated")
