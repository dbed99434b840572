# The data contract between deckc's templates and the runtime: the generated package's
# ``_runtime/_index.py`` (templates/_index.py.j2) defines exactly these names; the other data
# modules it names are imported on first use (their contents are described in lookup.py).
# Only type checkers read this file; it is not copied into generated packages.

LOCK_SHA256: str
PROFILES: tuple[str, ...]
DEFAULT_PROFILE: str
MODEL_TYPES: tuple[str, ...]
# model type -> (handle section modules, the first name of every section but the first)
HANDLE_SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
# model type -> the module of its deck (alias, waterfall and preset names, presets, choices)
DECKS: dict[str, str]
SPECS_PER_SECTION: int
SPEC_SECTIONS: tuple[str, ...]
BACKENDS: str
