"""Shared foundations of every stage: errors with source spans, naming, the typed IR of the
sources, routing patterns, canonical JSON, packaged resources.
"""
