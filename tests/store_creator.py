"""Child process for the creation crash test: says when it starts creating a new store, then holds it open."""

import sys
import time

from surveil.store.store import EventStore

print("creating", flush=True)  # imports are done: from here on, the kill lands in the creation itself
store = EventStore(sys.argv[1])
print("open", flush=True)
time.sleep(60)
