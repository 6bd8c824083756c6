"""Writing into the raw folder so that no reader ever sees half a file.

Bytes go to a hidden temporary name in the destination's folder (discovery
skips names starting with '.'), are flushed to disk, and the finished file
takes its name in one os.replace; the folder is synced after it so the new
name survives a crash too.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

TEMP_PREFIX = ".part-"


def temp_path(folder: Path, suffix: str = "") -> Path:
    """A fresh hidden name in `folder` (kept with `suffix`, which format detection reads)."""
    return folder / f"{TEMP_PREFIX}{secrets.token_hex(6)}{suffix}"


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(temp: Path, final: Path) -> None:
    """Give the finished (already synced) temporary file its final name."""
    os.replace(temp, final)
    _sync_folder(final.parent)


def discard(temp: Path | None) -> None:
    if temp is not None:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path`: a temporary name, fsync, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path.parent, path.suffix)
    try:
        with open(temp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        publish(temp, path)
    except BaseException:
        discard(temp)
        raise


def remove_stale_temps(folder: Path, older_than: float = 3600) -> int:
    """Delete the temporary files a killed run left in `folder` (untouched for
    `older_than` seconds: a download in progress keeps writing its own); how many."""
    n = 0
    if folder.is_dir():
        now = time.time()
        for path in folder.glob(TEMP_PREFIX + "*"):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime >= older_than:
                    path.unlink()
                    n += 1
    return n
