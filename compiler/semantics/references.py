"""Reference checks, once for all profiles: every alias target, preset target and choice names
something of the right kind that is declared, and no alias chain loops.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from ..core.errors import DeckError, LLMHandleNotFoundError, LLMPresetNotFoundError, Severity
from ..core.ir import Alias, Config, Deck, Dialect, ModelType, Ref, RefKind, Waterfall
from ..core.naming import did_you_mean


def check_references(config: Config) -> list[DeckError]:
    problems: list[DeckError] = []
    for deck in config.decks.values():
        problems += _DeckChecks(config, deck).run()
    return problems


def _kind(deck: Deck) -> str:
    """How a message names the deck: "" for LLMs (the seed's only kind), else its model type."""
    return "" if deck.model_type is ModelType.LLM else f"{deck.model_type.value} "


class _DeckChecks:
    """The reference checks of one model type's deck."""

    def __init__(self, config: Config, deck: Deck) -> None:
        self.deck = deck
        self.models = {key.name for key in config.keys(deck.model_type)}
        self.current = config.dialect is Dialect.PIPELEX_0_92

    def run(self) -> list[DeckError]:
        deck = self.deck
        problems: list[DeckError] = []
        for alias in deck.aliases.values():
            if alias.name in self.models:
                problems.append(
                    LLMHandleNotFoundError(
                        f"{_kind(deck)}alias `{alias.name}` has the name of a model: a bare "
                        f"`{alias.name}` names the model wherever it is served",
                        span=alias.span,
                        hint=f"rename the alias, or write `@{alias.name}` where you mean it",
                        severity=Severity.WARNING,
                    )
                )
            for target in alias.targets:
                problems += self.handle(target, f"alias {alias.name}", "an alias")
        for waterfall in deck.waterfalls.values():
            for step in waterfall.steps:
                problems += self.handle(step, f"waterfall {waterfall.name}", "a waterfall step")
        problems += _cycles(deck, self.models, sigils=self.current)
        for preset in deck.presets.values():
            problems += self.handle(preset.target, f"preset {preset.name}", "a preset")
        for table in (deck.choice_defaults, deck.choice_overrides):
            for choice in table.values():
                if choice.ref is not None:
                    problems += self.choice(choice.ref)
        return problems

    def handle(self, ref: Ref, owner: str, what: str) -> list[DeckError]:
        """``ref`` (written by ``owner``: ``what`` says what it is, "an alias", "a preset"...) names
        a model or alias."""
        deck = self.deck
        if ref.kind is RefKind.PRESET:
            return [
                LLMHandleNotFoundError(
                    f"`{ref.text}` names a preset, but {what} must point at a model or alias",
                    span=ref.span,
                    hint=f"point it at the preset's {'model' if self.current else 'llm_handle'} "
                    "instead",
                )
            ]
        if ref.kind is RefKind.ALIAS and ref.name not in deck.aliases:
            return [
                LLMHandleNotFoundError(
                    f"no alias named `{ref.name}`",
                    span=ref.span,
                    hint=did_you_mean(ref.name, deck.aliases),
                )
            ]
        if ref.kind is RefKind.WATERFALL and ref.name not in deck.waterfalls:
            return [
                LLMHandleNotFoundError(
                    f"no {_kind(deck)}waterfall named `{ref.name}`",
                    span=ref.span,
                    hint=did_you_mean(ref.name, deck.waterfalls)
                    or (
                        None
                        if self.current
                        else "in this layout a fallback chain is an alias whose value is a list"
                    ),
                )
            ]
        if ref.kind is RefKind.WATERFALL or ref.name in deck.aliases or ref.name in self.models:
            return []
        if self.current and ref.name in deck.waterfalls:
            return []
        if not self.current:
            return [
                LLMHandleNotFoundError(
                    f"`{ref.text}` is not a declared model or alias ({owner} -> {ref.text})",
                    span=ref.span,
                    hint=did_you_mean(ref.name, [*deck.aliases, *self.models])
                    or "declare the model in a backends/<backend>.toml file, or the alias in "
                    "[aliases]",
                )
            ]
        known = [*deck.aliases, *deck.waterfalls, *self.models]
        unused = not self.models  # no backend declares a model of this type: not in use
        return [
            LLMHandleNotFoundError(
                f"`{ref.text}` is not a declared {_kind(deck)}model, alias or waterfall "
                f"({owner} -> {ref.text}); it is recorded unavailable"
                + (f" (no backend declares any {deck.model_type.value} model)" if unused else ""),
                span=ref.span,
                hint=did_you_mean(ref.name, known)
                or "a plugin may declare it when Pipelex loads; --strict makes this an error",
                severity=Severity.INFO if unused else Severity.WARNING,
                lenient=True,
            )
        ]

    def choice(self, ref: Ref) -> list[DeckError]:
        deck = self.deck
        if ref.kind is RefKind.PRESET:
            if ref.name in deck.presets:
                return []
            return [
                LLMPresetNotFoundError(
                    f"no preset named `{ref.name}`",
                    span=ref.span,
                    hint=did_you_mean(ref.name, deck.presets),
                )
            ]
        if ref.kind is RefKind.BARE and ref.name in deck.presets and not self.current:
            return []
        if (
            self.current
            and ref.kind in (RefKind.BARE, RefKind.HANDLE)
            and ref.name in deck.presets
            and not {ref.name} & {*deck.aliases, *deck.waterfalls, *self.models}
        ):
            return [
                LLMPresetNotFoundError(
                    f"`{ref.text}` names a preset, but a bare name in a choice is a handle",
                    span=ref.span,
                    hint=f"write `${ref.name}`",
                )
            ]
        if (
            not self.current
            and ref.kind is RefKind.BARE
            and ref.name not in deck.aliases
            and ref.name not in self.models
        ):
            return [
                LLMPresetNotFoundError(
                    f"`{ref.text}` is not a preset, alias or model",
                    span=ref.span,
                    hint=did_you_mean(ref.name, [*deck.presets, *deck.aliases, *self.models]),
                )
            ]
        return self.handle(ref, f"choice {ref.span.key_path[-1]}", "a choice")


def _cycles(deck: Deck, models: AbstractSet[str], *, sigils: bool = False) -> list[DeckError]:
    """Every cycle among aliases and waterfalls once, named by its whole path (a depth-first
    walk with an explicit stack: chains may be longer than Python's recursion limit).

    A bare reference to a name that is also a declared model is no edge: the served model comes
    first, and under a profile that does not serve it the resolver records the loop as
    unavailable, as Pipelex finds no model there."""
    problems: list[DeckError] = []
    Node = tuple[RefKind, str]
    entries: dict[Node, Alias | Waterfall] = {
        **{(RefKind.ALIAS, n): a for n, a in deck.aliases.items()},
        **{(RefKind.WATERFALL, n): w for n, w in deck.waterfalls.items()},
    }
    state: dict[Node, int] = {}  # 1 = on the current path, 2 = done

    def targets(node: Node) -> Iterator[Node]:
        entry = entries[node]
        for target in entry.steps if isinstance(entry, Waterfall) else entry.targets:
            bare = target.kind in (RefKind.BARE, RefKind.HANDLE)
            if bare and target.name in models:
                continue
            if (bare or target.kind is RefKind.ALIAS) and target.name in deck.aliases:
                yield (RefKind.ALIAS, target.name)
            elif (bare or target.kind is RefKind.WATERFALL) and target.name in deck.waterfalls:
                yield (RefKind.WATERFALL, target.name)

    def label(node: Node) -> str:
        if node[0] is RefKind.WATERFALL:
            return f"~{node[1]}"
        return f"@{node[1]}" if sigils else node[1]

    for root in entries:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [targets(root)]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                what = "alias" if all(n[0] is RefKind.ALIAS for n in cycle) else "reference"
                problems.append(
                    LLMHandleNotFoundError(
                        f"{_kind(deck)}{what} cycle: {' -> '.join(label(n) for n in cycle)}",
                        span=entries[cycle[0]].span,
                        related=[entries[n].span for n in cycle[1:-1]],
                        hint=f"make one of these {what}es point at a model"
                        if what == "alias"
                        else "make one of these point at a model",
                    )
                )
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                pending.append(targets(nxt))
    return problems
