import threading
import time

import numpy as np

from surveil.capture.frame import Frame, FrameMailbox


def _frame(seq: int) -> Frame:
    return Frame(np.zeros((4, 4, 3), np.uint8), "cam", seq, time.monotonic(), time.time())


def test_latest_frame_wins_and_overwrites_count_as_drops():
    box = FrameMailbox()
    for seq in range(5):
        box.put(_frame(seq))
    assert box.take(0).seq == 4
    assert box.drops == 4
    assert box.take(0) is None


def test_take_waits_for_a_frame_from_another_thread():
    box = FrameMailbox()
    threading.Timer(0.05, box.put, args=(_frame(1),)).start()
    frame = box.take(timeout=5)
    assert frame is not None and frame.seq == 1


def test_close_wakes_a_waiting_consumer():
    box = FrameMailbox()
    result = []
    consumer = threading.Thread(target=lambda: result.append(box.take(timeout=30)))
    consumer.start()
    time.sleep(0.05)
    box.close()
    consumer.join(5)
    assert not consumer.is_alive() and result == [None]


def test_fast_producer_slow_consumer_accounts_for_every_frame():
    box = FrameMailbox()
    taken = []

    def consume():
        while (frame := box.take(timeout=0.5)) is not None:
            taken.append(frame.seq)
            time.sleep(0.001)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for seq in range(2000):
        box.put(_frame(seq))
    consumer.join(10)
    assert taken == sorted(taken), "frames come out in order"
    assert taken[-1] == 1999, "the newest frame is never lost"
    assert len(taken) + box.drops == 2000
    assert box.drops > 0
