"""Child processes that end with the build that started them.

A build killed outright (kill -9, the OOM killer) runs no cleanup: its
extraction workers would wait for work forever. On Linux each child
asks the kernel to SIGKILL it when its parent ends (PR_SET_PDEATHSIG); "its
parent" is the thread that started it, so a build starts its children from a
thread that outlives them. Kept free of heavy imports: the workers import it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
# Looked up in the parent: a preexec_fn runs between fork and exec, where
# less is safer.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def die_with_parent(parent: int) -> None:
    """Have this process killed when its parent, pid `parent`, ends (Linux
    only; elsewhere a no-op). Run it in the child: a worker initializer, a
    subprocess preexec_fn."""
    if _prctl is None:
        return
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)
