"""Differential conformance: deckc against Pipelex itself (`make conformance`)."""
