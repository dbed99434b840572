"""Ask Pipelex 0.92 itself, offline, what it answers for a `.pipelex/inference/` directory.

How to run it
-------------
Run it with the Python of a throwaway virtualenv holding Pipelex, never with deckc's own::

    python3 -m venv .venv-pipelex-0.92
    .venv-pipelex-0.92/bin/pip install pipelex==0.92.2
    .venv-pipelex-0.92/bin/python tools/pipelex_answers.py [LABEL=]DIR [[LABEL=]DIR ...] \\
        [--profile P ...] [--credentials skip|dummy] [-o OUT.json]

Each DIR is shaped like `.pipelex/inference/`: `backends.toml`, `backends/*.toml`,
`routing_profiles.toml`, `deck/**/*.toml`, optionally `backends_override.toml` and
`routing_profiles_override.toml`. Without `--profile`, every profile the (merged) routing
profile library declares is made active in turn; the one the files make active is booted on the
files untouched, any other by merging a one-line `active = "P"` override file after the
directory's own, through Pipelex's own override mechanism. The JSON (sorted keys, indent 1) goes
to stdout or OUT.json; each answer of a model type is described in `_type_answers`. Absolute
paths in Pipelex's messages are written `<LABEL>` (the directory) and `<tmp>` (this tool's scratch
directory), so the output does not depend on where the directory lies. One process answers any
number of directories and profiles: importing Pipelex takes about a second, one boot tens of ms.

`tests/kit92/pipelex_answers.json` is the kit shipped in the 0.92.2 wheel, unmodified, under
every one of its profiles, made with::

    KIT=$(.venv-pipelex-0.92/bin/python -c 'import pathlib, pipelex.kit as k; \\
        print(pathlib.Path(k.__file__).parent / "configs" / "inference")')
    .venv-pipelex-0.92/bin/python tools/pipelex_answers.py kit92="$KIT" \\
        -o tests/kit92/pipelex_answers.json

How it boots
------------
The call `pipelex doctor` makes for its models row, with the paths pinned to DIR, but keyless:
`ModelManager.setup(...)` with `needs_inference=False` (as the agent CLI's `validate` commands and
dry runs boot: every enabled backend is loaded with its models, no `${VAR}` is resolved, Vertex AI
mints no token), then `validate_model_deck()` as a keyed `Pipelex.make()` does. `--credentials
dummy` boots with `needs_inference=True` instead, every `${VAR}` the backend files name set to
`dummy-<VAR>` in the environment and Vertex AI's token minting replaced by a dummy (it would call
Google). The plugin declarations and the inference backend registry come from the plugin registrar
a real boot builds (built-in plugins and installed entry points). The main configuration is the
package's own `pipelex.toml` (`[inference.model_deck]`: fallbacks enabled, missing presets
logged). The choices are answered by the kernel's own functions a step that names no model goes
through (`pipelex.kernel.*_ops.resolve_*_setting`, `resolve_doc_gen_setting`).

Isolation: before Pipelex is imported, HOME and PIPELEX_HOME point into a scratch directory, which
is also the working directory (so no project `.pipelex/` or `.env` is found), `DO_NOT_TRACK=1`
and `PIPELEX_USAGE_STATS=0` turn usage statistics and tracing off, and `RUN_MODE`, `CODEX_CLOUD`,
`PIPELEX_ENV` and `PIPELEXPATH` are removed. Nothing here makes a network call.

Pipelex is not installed in deckc's virtualenv, so it is imported through `importlib` and its
objects are typed `Any` here.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script
from tools.pipelex_common import (
    ConfigDir,
    Json,
    Scrubber,
    argument_parser,
    error_answer,
    isolate_environment,
    write_report,
)

PIPELEX_VERSION = "0.92.2"
ACTIVE_OVERRIDE_NAME = "routing_profiles_active_override.toml"
ENV_REMOVED = ("RUN_MODE", "CODEX_CLOUD", "PIPELEX_ENV", "PIPELEXPATH")
ENV_SET = {"DO_NOT_TRACK": "1", "PIPELEX_USAGE_STATS": "0", "PIPELEX_NO_DECK_NOTICE": "1"}


@dataclass(frozen=True)
class Pipelex:
    """The Pipelex objects this tool uses, imported after the environment is isolated."""

    hub: Any
    model_manager_cls: Any
    model_type: Any
    secrets_provider: Any
    declarations: Any
    plugin_names: list[str]
    load_toml_merged: Callable[..., dict[str, Any]]
    placeholder_var_names: Callable[..., list[str]]
    parse_doc_gen_choice_key: Callable[[str], Any]
    llm_ops: Any
    extract_ops: Any
    img_gen_ops: Any
    search_ops: Any
    judgment_ops: Any
    doc_gen_engine: Any
    model_reference_cls: Any


class _WarningCapture(logging.Handler):
    """Keeps the warnings Pipelex logs (it logs what it tolerates) as JSON for the current boot."""

    def __init__(self, field_names_mark: str) -> None:
        super().__init__(level=logging.WARNING)
        self.field_names_mark = field_names_mark
        self.records: list[dict[str, Json]] = []

    def emit(self, record: logging.LogRecord) -> None:
        names: tuple[str, ...] = record.__dict__.get(self.field_names_mark, ())
        fields = {name: _jsonable(record.__dict__.get(name)) for name in names}
        entry: dict[str, Json] = {"level": record.levelname, "message": record.getMessage()}
        if fields:
            entry["fields"] = fields
        self.records.append(entry)


def _jsonable(value: Any) -> Json:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def _import_pipelex(scratch: Path) -> Pipelex:
    def module(name: str) -> Any:
        return importlib.import_module(name)

    hub_module = module("pipelex.runtime_hub")
    configs = module("pipelex.system.configuration.configs")
    config_loader = module("pipelex.system.configuration.config_loader")
    discovery = module("pipelex.plugins.discovery")
    builtins = module("pipelex.interpreter_plugins.builtins")
    registry_module = module("pipelex.plugins.inference_backend_registry")
    env_secrets = module("pipelex.tools.secrets.env_secrets_provider")

    hub = hub_module.RuntimeHub()
    hub_module.set_runtime_hub(hub)
    # The package's own pipelex.toml and nothing else: an empty directory as the config dir.
    empty_config_dir = scratch / "empty-config"
    empty_config_dir.mkdir()
    hub.set_config(
        config_loader.config_manager.load_config_validated(
            config_cls=configs.PipelexConfig, config_dir=empty_config_dir
        )
    )
    registrar = discovery.build_registrar(
        config=hub.get_required_config(),
        boot_orchestrator=None,
        builtin_plugins=builtins.BUILTIN_PLUGINS,
        core_unconditional_plugin_names=builtins.CORE_UNCONDITIONAL_PLUGIN_NAMES,
        entry_point_groups=builtins.ENTRY_POINT_GROUPS,
    )
    hub.set_inference_backend_registry(
        registry_module.InferenceBackendRegistry(
            registrar.inference_backends, llm_request_checks=registrar.llm_request_checks
        )
    )
    return Pipelex(
        hub=hub,
        model_manager_cls=module("pipelex.cogt.models.model_manager").ModelManager,
        model_type=module("pipelex.cogt.model_backends.model_type").ModelType,
        secrets_provider=env_secrets.EnvSecretsProvider(),
        declarations=registrar.make_model_declarations(),
        plugin_names=sorted(registrar.registered_plugin_names),
        load_toml_merged=module("pipelex.tools.misc.toml_utils").load_toml_from_base_and_overrides,
        placeholder_var_names=module("pipelex.tools.secrets.secrets_utils").placeholder_var_names,
        parse_doc_gen_choice_key=module(
            "pipelex.cogt.doc_gen.doc_gen_format"
        ).parse_doc_gen_choice_key,
        llm_ops=module("pipelex.kernel.llm_ops"),
        extract_ops=module("pipelex.kernel.extract_ops"),
        img_gen_ops=module("pipelex.kernel.img_gen_ops"),
        search_ops=module("pipelex.kernel.search_ops"),
        judgment_ops=module("pipelex.kernel.judgment_ops"),
        doc_gen_engine=module("pipelex.cogt.doc_gen.doc_gen_engine"),
        model_reference_cls=module("pipelex.cogt.models.model_reference").ModelReference,
    )


def _stub_vertexai_token() -> None:
    """For `--credentials dummy`: Vertex AI's credentials are minted over the network; mint none."""
    factory = importlib.import_module("pipelex.providers.openai.vertexai_factory").VertexAIFactory

    def make_endpoint_and_api_key(extra_config: dict[str, Any]) -> tuple[str, str]:
        return "https://vertexai.invalid/dummy", "dummy-vertexai-token"

    factory.make_endpoint_and_api_key = staticmethod(make_endpoint_and_api_key)


def _set_dummy_credentials(px: Pipelex, config: ConfigDir) -> None:
    """Set `dummy-<VAR>` for every variable a `${...}` of the backend files names."""
    files = [config.path / "backends.toml", config.path / "backends_override.toml"]
    files += sorted((config.path / "backends").glob("*.toml"))
    for file in files:
        try:
            names = px.placeholder_var_names(content=file.read_text(encoding="utf-8"))
        except Exception:
            continue  # unreadable, or an unknown `${prefix:...}`: the boot says what is wrong
        for name in names:
            os.environ[name] = f"dummy-{name}"


def _declared_profiles(
    px: Pipelex, config: ConfigDir, scrub: Scrubber
) -> tuple[str | None, list[str], dict[str, Json] | None]:
    """The active profile and every profile of the merged routing profile library, or its error."""
    paths = [config.path / "routing_profiles.toml", config.path / "routing_profiles_override.toml"]
    try:
        library = px.load_toml_merged(paths=paths)
    except Exception as exc:
        return None, [], error_answer(exc, scrub)
    active = library.get("active")
    profiles = library.get("profiles")
    names = list(profiles) if isinstance(profiles, dict) else []
    return (active if isinstance(active, str) else None), names, None


@contextmanager
def _captured_warnings(px: Pipelex) -> Iterator[_WarningCapture]:
    mark = importlib.import_module("pipelex.tools.log.log_fields").FIELD_NAMES_MARK
    capture = _WarningCapture(field_names_mark=mark)
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)


def _boot(
    px: Pipelex,
    config: ConfigDir,
    *,
    profile: str | None,
    active_in_files: str | None,
    scratch: Path,
    credentials: str,
    scrub: Scrubber,
) -> dict[str, Json]:
    """Boot Pipelex's model manager on `config` with `profile` active, and record its answers."""
    routing_paths = [
        config.path / "routing_profiles.toml",
        config.path / "routing_profiles_override.toml",
    ]
    if profile is not None and profile != active_in_files:
        override_dir = scratch / "active-override"
        override_dir.mkdir(exist_ok=True)
        override = override_dir / ACTIVE_OVERRIDE_NAME
        override.write_text(f"active = {json.dumps(profile)}\n", encoding="utf-8")
        routing_paths.append(override)
    manager = px.model_manager_cls()
    px.hub.set_models_manager(manager)
    answer: dict[str, Json] = {}
    with _captured_warnings(px) as capture:
        try:
            manager.setup(
                secrets_provider=px.secrets_provider,
                plugin_model_declarations=px.declarations,
                needs_inference=credentials == "dummy",
                backends_library_paths=[
                    config.path / "backends.toml",
                    config.path / "backends_override.toml",
                ],
                backends_dir_path=str(config.path / "backends"),
                routing_profile_library_paths=routing_paths,
                deck_dir_path=str(config.path / "deck"),
            )
        except Exception as exc:
            answer["boot"] = error_answer(exc, scrub)
        else:
            answer["boot"] = "ok"
            answer["enabled_backends"] = manager.inference_backend_library.all_enabled_backends()
            answer["routing_profile"] = manager.routing_profile.name
            try:
                manager.validate_model_deck()
            except Exception as exc:
                answer["validate"] = error_answer(exc, scrub)
            else:
                answer["validate"] = "ok"
            deck = manager.get_model_deck()
            answer["types"] = {
                str(model_type): _type_answers(px, deck, model_type, scrub)
                for model_type in px.model_type
            }
        finally:
            manager.teardown()
    answer["warnings"] = [
        {**entry, "message": scrub(entry["message"])} for entry in capture.records
    ]
    return answer


def _resolved(deck: Any, reference: str, model_type: Any, scrub: Scrubber) -> dict[str, Json]:
    """What the run's lookup gives for a reference: the served model, None, or the error."""
    try:
        spec = deck.get_optional_inference_model(model_handle=reference, model_type=model_type)
    except Exception as exc:
        return error_answer(exc, scrub)
    if spec is None:
        return {"model": None, "backend": None}
    return {"model": spec.name, "backend": spec.backend_name}


def _choice_repr(px: Pipelex, choice: Any) -> Json:
    if choice is None:
        return None
    if isinstance(choice, px.model_reference_cls):
        return choice.raw
    if isinstance(choice, str):
        return choice
    return {"inline": choice.model_dump(mode="json")}


def _preset_name(px: Pipelex, choice: Any) -> str | None:
    if isinstance(choice, px.model_reference_cls) and str(choice.kind) == "preset":
        return str(choice.name)
    return None


def _choice_answer(
    px: Pipelex,
    deck: Any,
    model_type: Any,
    *,
    source: str,
    choice: Any,
    resolve: Callable[[], Any],
    scrub: Scrubber,
) -> dict[str, Json]:
    """A step naming no model: the kernel's setting for it, then the model a run calls with it."""
    answer: dict[str, Json] = {"from": source, "choice": _choice_repr(px, choice)}
    if (preset := _preset_name(px, choice)) is not None:
        answer["preset"] = preset
    try:
        setting = resolve()
    except Exception as exc:
        answer.update(error_answer(exc, scrub))
        return answer
    answer["setting"] = setting.model_dump(mode="json")
    try:
        spec = deck.get_required_inference_model(model_handle=setting.model, model_type=model_type)
    except Exception as exc:
        answer.update(error_answer(exc, scrub))
        return answer
    answer["model"] = spec.name
    answer["backend"] = spec.backend_name
    return answer


def _choices(px: Pipelex, deck: Any, model_type: Any, scrub: Scrubber) -> dict[str, Json]:
    def one(source: str, choice: Any, resolve: Callable[[], Any]) -> dict[str, Json]:
        return _choice_answer(
            px, deck, model_type, source=source, choice=choice, resolve=resolve, scrub=scrub
        )

    match str(model_type):
        case "llm":
            text_override = deck.llm_choice_overrides.for_text
            object_override = deck.llm_choice_overrides.for_object
            return {
                "for_text": one(
                    "llm.choice_overrides.for_text"
                    if text_override
                    else "llm.choice_defaults.for_text",
                    text_override or deck.llm_choice_defaults.for_text,
                    px.llm_ops.resolve_llm_setting_for_text,
                ),
                "for_object": one(
                    "llm.choice_overrides.for_object"
                    if object_override
                    else "llm.choice_defaults.for_object",
                    object_override or deck.llm_choice_defaults.for_object,
                    px.llm_ops.resolve_llm_setting_for_object,
                ),
            }
        case "text_extractor":
            return {
                "choice_default": one(
                    "extract.choice_default",
                    deck.extract_choice_default,
                    px.extract_ops.resolve_extract_setting,
                )
            }
        case "img_gen":
            return {
                "choice_default": one(
                    "img_gen.choice_default",
                    deck.img_gen_choice_default,
                    px.img_gen_ops.resolve_img_gen_setting,
                )
            }
        case "search":
            return {
                "choice_default": one(
                    "search.choice_default",
                    deck.search_choice_default,
                    px.search_ops.resolve_search_setting,
                )
            }
        case "judgment":
            return {
                "choice_default": one(
                    "judgment.choice_default",
                    deck.judgment_choice_default,
                    px.judgment_ops.resolve_judgment_setting,
                )
            }
        case "doc_gen":
            answers: dict[str, Json] = {}
            for key, choice in deck.doc_gen_choice_defaults.items():
                doc_gen_format, source = px.parse_doc_gen_choice_key(key)

                def resolve(doc_gen_format: Any = doc_gen_format, source: Any = source) -> Any:
                    return px.doc_gen_engine.resolve_doc_gen_setting(
                        doc_gen_choice=None,
                        doc_gen_format=doc_gen_format,
                        source=source,
                        pipe_code=None,
                    )

                answers[key] = one(f'doc_gen.choice_defaults["{key}"]', choice, resolve)
            return answers
    return {}


def _type_answers(px: Pipelex, deck: Any, model_type: Any, scrub: Scrubber) -> dict[str, Json]:
    """One model type's answers.

    - `served`: every (type, handle) the deck serves, handle -> backend.
    - `aliases` / `waterfalls`: the declared target / steps, and what the run's lookup
      (`ModelDeck.get_optional_inference_model` on `alias:name` / `waterfall:name`) gives: the
      served `model` and its `backend`, both None when it gives no model, or the error it raises.
    - `presets`: the setting object's fields as Pipelex exposes them (`settings`), `defined`:
      whether the boot's preset validation (`is_model_handle_defined`) accepts its model
      reference, and the lookup of that reference as for an alias.
    - `choices`: what a step naming no model gets, through the kernel: the deck entry it comes
      `from`, the `choice` written there, the `preset` it names if any, the `setting` the kernel
      returns and the `model` / `backend` a run calls, or the error where Pipelex raises.
    - `defaults`: `default_temperature` (llm) / `default_quality` (img_gen).
    """
    served = {
        spec.name: spec.backend_name
        for spec in deck.inference_models.all_specs()
        if spec.model_type == model_type
    }
    aliases, waterfalls = deck.get_aliases_and_waterfalls_for_type(model_type)
    answers: dict[str, Json] = {
        "served": served,
        "aliases": {
            name: {"target": target, **_resolved(deck, f"alias:{name}", model_type, scrub)}
            for name, target in aliases.items()
        },
        "waterfalls": {
            name: {"steps": list(steps), **_resolved(deck, f"waterfall:{name}", model_type, scrub)}
            for name, steps in waterfalls.items()
        },
        "presets": {},
        "choices": {},
    }
    presets: dict[str, Json] = {}
    for name, setting in deck.get_presets_for_type(model_type=model_type).items():
        entry: dict[str, Json] = {"settings": setting.model_dump(mode="json")}
        try:
            entry["defined"] = bool(
                deck.is_model_handle_defined(model_handle=setting.model, model_type=model_type)
            )
        except Exception as exc:
            entry["defined"] = error_answer(exc, scrub)
        entry.update(_resolved(deck, setting.model, model_type, scrub))
        presets[name] = entry
    answers["presets"] = presets
    try:
        answers["choices"] = _choices(px, deck, model_type, scrub)
    except Exception as exc:
        answers["choices"] = error_answer(exc, scrub)
    match str(model_type):
        case "llm":
            answers["defaults"] = {"default_temperature": deck.llm_default_temperature}
        case "img_gen":
            answers["defaults"] = {"default_quality": _jsonable(deck.img_gen_default_quality)}
    return answers


def _answer_directory(
    px: Pipelex,
    config: ConfigDir,
    *,
    profiles: list[str] | None,
    scratch: Path,
    credentials: str,
) -> dict[str, Json]:
    scrub = Scrubber([(str(config.path), f"<{config.label}>"), (str(scratch), "<tmp>")])
    if credentials == "dummy":
        _set_dummy_credentials(px, config)
    active, declared, library_error = _declared_profiles(px, config, scrub)
    result: dict[str, Json] = {"active_in_files": active, "declared_profiles": declared}
    if library_error is not None:
        result["routing_profiles_error"] = library_error
    wanted: list[str | None] = list(profiles) if profiles else list(declared)
    if not wanted:
        wanted = [active]  # the library does not load: one boot says why
    answers: dict[str, Json] = {}
    for profile in wanted:
        key = profile if profile is not None else "(active)"
        answers[key] = _boot(
            px,
            config,
            profile=profile,
            active_in_files=active,
            scratch=scratch,
            credentials=credentials,
            scrub=scrub,
        )
    result["profiles"] = answers
    return result


def main(argv: list[str] | None = None) -> int:
    args = argument_parser("0.92", "").parse_args(argv)
    output: Path | None = args.output.resolve() if args.output else None

    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="pipelex-answers-")).resolve()
    cwd = Path.cwd()
    try:
        isolate_environment(scratch, ENV_REMOVED, ENV_SET)
        px = _import_pipelex(scratch)
        if args.credentials == "dummy":
            _stub_vertexai_token()
        imported = time.perf_counter()
        report: dict[str, Json] = {
            "pipelex_version": importlib.import_module("importlib.metadata").version("pipelex"),
            "credentials": args.credentials,
            "plugins": px.plugin_names,
            "directories": {
                config.label: _answer_directory(
                    px,
                    config,
                    profiles=args.profiles,
                    scratch=scratch,
                    credentials=args.credentials,
                )
                for config in args.directories
            },
        }
    finally:
        os.chdir(cwd)
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = (started, imported, time.perf_counter())
    write_report(report, output, seconds=seconds, written_against=PIPELEX_VERSION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
