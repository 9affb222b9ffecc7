"""The ``surveil`` command."""
