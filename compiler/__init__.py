"""deckc: compile .pipelex/inference TOML into a frozen lockfile and typed Python modules."""

__version__ = "0.1.0"
