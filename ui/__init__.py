"""The PySide6 desktop shell of surveil. It imports ``surveil``; the core never imports it.

The window arrives with the GUI issue.
"""
