"""Whether a process still runs.

How the leftovers of a killed process (a half-made store, a partial export, a service file) are told
from those of one that is still working.
"""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while a process with this id exists (another user's counts: it cannot be signalled, but it runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
