"""Tools that present recorded decisions: validate's checks, explain, diff (and its lockfile
inputs), the online probes. They never re-derive a decision.
"""
