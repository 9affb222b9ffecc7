"""Child process for the killed-export test: exports every event, and SIGKILLs itself at the stage named.

``files``: after the first event's files; ``sign``: once the package is in place, before its signature.
"""

import os
import signal
import sys
from pathlib import Path

import surveil.media.export as export
from surveil.store.store import EventStore


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


folder, dest, stage = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if stage == "sign":
    export._write_synced = die
    export._append_signature = die
store = EventStore(folder)
export.export_incidents(store, dest, progress=die if stage == "files" else None)
print("not killed", flush=True)
