"""The ``onedoor`` command: runs one service, or the whole system as supervised processes."""
