"""``python -m deckc``: the command line."""

from .cli import main

main()
