"""What a look-up error suggests: the call that asks for a name of another kind, or close names.

Imported on the error path only (with ``difflib``): a deck whose look-ups succeed never loads it.
The kinds are :mod:`.references`' (``preset``, ``alias``, ``waterfall``; ``bare`` and ``handle``
for a name read as a model, alias or waterfall) plus ``model`` and ``choice``.
"""

from __future__ import annotations

from . import references

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["CHOICE", "MODEL", "close", "elsewhere"]

MODEL = "model"
CHOICE = "choice"

# What a look-up of each kind already searched: a name of these kinds is no news to its caller.
_SEARCHED: dict[str, tuple[str, ...]] = {
    references.BARE: (MODEL, references.ALIAS, references.WATERFALL),
    references.HANDLE: (MODEL, references.ALIAS, references.WATERFALL),
    references.ALIAS: (references.ALIAS,),
    references.WATERFALL: (references.WATERFALL,),
    references.PRESET: (references.PRESET,),
    CHOICE: (CHOICE,),
}
_ARTICLE = {references.ALIAS: "an"}


def close(word: object, candidates: Iterable[str]) -> str:
    """``; did you mean 'a', 'b'?`` with up to three of ``candidates`` close to ``word``, or ""."""
    if type(word) is not str:
        return ""
    import difflib

    found = difflib.get_close_matches(word, list(candidates), n=3)
    return f"; did you mean {', '.join(repr(c) for c in found)}?" if found else ""


def elsewhere(name: str, asked: str, kinds: Iterable[str], model_type: str) -> str:
    """``; a preset has that name: use ...`` when ``name``, not found as a name of kind ``asked``,
    is one of another kind (the first of ``kinds``, the kinds it has), or ""."""
    found = next((kind for kind in kinds if kind not in _SEARCHED[asked]), None)
    if found is None:
        return ""
    typed = "" if model_type == "llm" else f", model_type={model_type!r}"
    if found == references.PRESET:
        how = f"{references.spell(found, name)!r} or deck.preset({name!r}{typed})"
    elif found == CHOICE:
        how = f"deck.choice({name!r}{typed})"
    elif asked in (references.PRESET, CHOICE):  # a handle: its bare name
        how = f"deck.resolve({name!r}{typed})"
    else:  # asked for an alias or a waterfall: the form of the handle's own kind
        how = repr(name if found == MODEL else references.spell(found, name))
    return f"; {_ARTICLE.get(found, 'a')} {found} has that name: use {how}"
