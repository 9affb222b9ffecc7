"""Child process for the crash test: writes event batches and prints each acknowledged id."""

import sys

from store_factory import event, vector

from surveil.store.store import EventStore, Put

folder, round_ = sys.argv[1], int(sys.argv[2])
store = EventStore(folder)
print("ready", flush=True)
i = 0
while True:
    batch = [event(round_ * 100_000 + i + j) for j in range(5)]
    store.put([Put(r, b"\xff\xd8" + r.event_id.encode(), vector(i + j)) for j, r in enumerate(batch)])
    for r in batch:
        print("acked", r.event_id, flush=True)
    if i % 20 == 0:
        store.set_state(batch[0].event_id, acknowledged=True)
    i += 5
