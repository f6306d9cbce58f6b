"""Routing (分办): splits each application into one task per department and keeps the ledger."""
