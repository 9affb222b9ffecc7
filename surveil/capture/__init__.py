"""Camera capture: stamped frames, latest-frame mailboxes, reconnection, probing.

Import from the submodules (``surveil.capture.camera``, ``.frame``, ``.probe``...):
this file imports nothing, so that ``surveil.capture.backoff`` or ``.status`` can be
used without loading OpenCV, which ``camera``, ``opener`` and ``probe`` need.
Parsing a source string lives in ``surveil.sources``.
"""
