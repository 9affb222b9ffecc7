"""Files that ship with surveil: the demo clip, the default detector weights and default configs.

Installed as the package ``surveil_resources``; ``surveil.resources`` finds them.
"""
