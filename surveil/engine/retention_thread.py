"""STUB (to be replaced by the retention helper): the interface the engine calls."""


class RetentionThread:
    def __init__(self, store, config, recordings, clips, notify):
        pass

    def start(self):
        pass

    def stop(self):
        pass

    def note_bytes(self, n):
        pass

    def status(self):
        return {}
