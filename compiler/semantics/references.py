"""Reference checks, once for all profiles: every alias target, preset target and choice names
something of the right kind that is declared, and no alias chain loops.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.core.errors import DeckError, LLMHandleNotFoundError, LLMPresetNotFoundError, Severity
from compiler.core.ir import Alias, Config, Deck, Ref, RefKind
from compiler.core.naming import did_you_mean


def check_references(config: Config) -> list[DeckError]:
    problems: list[DeckError] = []
    for deck in config.decks.values():
        problems += _DeckChecks(config, deck).run()
    return problems


class _DeckChecks:
    """The reference checks of one model type's deck."""

    def __init__(self, config: Config, deck: Deck) -> None:
        self.deck = deck
        self.models = {key.name for key in config.keys(deck.model_type)}

    def run(self) -> list[DeckError]:
        deck = self.deck
        problems: list[DeckError] = []
        for alias in deck.aliases.values():
            if alias.name in self.models:
                problems.append(
                    LLMHandleNotFoundError(
                        f"alias `{alias.name}` shadows the model of the same name",
                        span=alias.span,
                        hint=f"rename the alias, or write `@{alias.name}` where you mean it",
                        severity=Severity.WARNING,
                    )
                )
            for target in alias.targets:
                problems += self.handle(target, f"alias {alias.name}", "alias")
        problems += _alias_cycles(deck)
        for preset in deck.presets.values():
            problems += self.handle(preset.target, f"preset {preset.name}", "preset")
        for table in (deck.choice_defaults, deck.choice_overrides):
            for choice in table.values():
                if choice.ref is not None:
                    problems += self.choice(choice.ref)
        return problems

    def handle(self, ref: Ref, owner: str, what: str) -> list[DeckError]:
        """``ref`` (written by ``owner``, an alias or preset ``what``) names a model or alias."""
        deck = self.deck
        if ref.kind is RefKind.PRESET:
            return [
                LLMHandleNotFoundError(
                    f"`{ref.text}` names a preset, but an {what} must point at a model or alias",
                    span=ref.span,
                    hint="point it at the preset's llm_handle instead",
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
                    f"no waterfall named `{ref.name}`",
                    span=ref.span,
                    hint=did_you_mean(ref.name, deck.waterfalls)
                    or "in this layout a fallback chain is an alias whose value is a list",
                )
            ]
        if ref.kind is RefKind.WATERFALL or ref.name in deck.aliases or ref.name in self.models:
            return []
        return [
            LLMHandleNotFoundError(
                f"`{ref.text}` is not a declared model or alias ({owner} -> {ref.text})",
                span=ref.span,
                hint=did_you_mean(ref.name, [*deck.aliases, *self.models])
                or "declare the model in a backends/<backend>.toml file, or the alias in [aliases]",
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
        if ref.kind is RefKind.BARE and ref.name in deck.presets:
            return []
        if (
            ref.kind is RefKind.BARE
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
        return self.handle(ref, f"choice {ref.span.key_path[-1]}", "choice")


def _alias_cycles(deck: Deck) -> list[DeckError]:
    """Every cycle among aliases once, named by its whole path (a depth-first walk with an
    explicit stack: alias chains may be longer than Python's recursion limit)."""
    problems: list[DeckError] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def targets(alias: Alias) -> Iterator[str]:
        for target in alias.targets:
            names_alias = target.kind in (RefKind.ALIAS, RefKind.BARE, RefKind.HANDLE)
            if names_alias and target.name in deck.aliases:
                yield target.name

    for root in deck.aliases:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [targets(deck.aliases[root])]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                alias = deck.aliases[cycle[0]]
                problems.append(
                    LLMHandleNotFoundError(
                        f"alias cycle: {' -> '.join(cycle)}",
                        span=alias.span,
                        related=[deck.aliases[n].span for n in cycle[1:-1]],
                        hint="make one of these aliases point at a model",
                    )
                )
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                pending.append(targets(deck.aliases[nxt]))
    return problems
