"""Ask Pipelex 0.10 itself, offline and keyless, what it answers for a seed `inference/` directory.

The seed dialect's counterpart of `tools/pipelex_answers.py` (Pipelex 0.92): same command line,
same isolation, same JSON shape as far as 0.10 has the same notions.

How to run it
-------------
Run it with the Python of a throwaway virtualenv holding Pipelex 0.10, never with deckc's own::

    python3 -m venv .venv-pipelex-0.10
    .venv-pipelex-0.10/bin/pip install pipelex==0.10.2
    .venv-pipelex-0.10/bin/python tools/pipelex_answers_010.py [LABEL=]DIR [[LABEL=]DIR ...] \\
        [--profile P ...] [--credentials skip|dummy] [-o OUT.json]

Each DIR is shaped like the seed's `.pipelex/inference/`: `backends.toml`, `backends/*.toml`,
`routing_profiles.toml`, `deck/*.toml`. Without `--profile`, every profile of
`routing_profiles.toml` is made active in turn: the one the file makes active is booted on the
files as they are, any other as if the file's `active` named it (0.10 has no override files: the
loaded table's `active` is replaced, through a wrapper around the routing library's TOML loader,
before Pipelex validates it). The JSON (sorted keys, indent 1) goes to stdout or OUT.json; what
each answer means is described in `_llm_answers`. Absolute paths in Pipelex's messages are written
`<LABEL>` (the directory) and `<tmp>` (this tool's scratch directory). One process answers any
number of directories and profiles: importing Pipelex takes about 0.4 s, one boot under 40 ms.

`tests/kit10/pipelex_answers.json` is the configuration shipped in the 0.10.2 wheel, unmodified,
under every one of its profiles, and `tests/kit10/example_answers.json` deckc's own example,
made with::

    KIT=$(.venv-pipelex-0.10/bin/python -c 'import pathlib, pipelex; \\
        print(pathlib.Path(pipelex.__file__).parent / "config_template" / "inference")')
    .venv-pipelex-0.10/bin/python tools/pipelex_answers_010.py kit10="$KIT" \\
        -o tests/kit10/pipelex_answers.json
    .venv-pipelex-0.10/bin/python tools/pipelex_answers_010.py example=.pipelex/inference \\
        -o tests/kit10/example_answers.json

How it boots
------------
What `Pipelex.make()` does for its models, and nothing else: the hub gets the package's own
`pipelex.toml` (`hub.setup_config(PipelexConfig)`, from a working directory with no project
config), logging is configured from it (`log.configure`: 0.10's `log.warning` needs it), an
`EnvSecretsProvider` is installed, then `ModelManager().setup()` runs with
`cogt.inference_config.inference_config_path` pointed at the directory: it loads the routing
profile library, every enabled backend with its model file, every `deck/**/*.toml` (sorted,
`deep_update`-merged) into a `ModelDeckBlueprint`, and builds the `ModelDeck`. 0.10 has no
`needs_inference` switch and no `validate_model_deck()`: the deck's own pydantic validators (choice
defaults present, overrides naming presets that exist) are all the validation a boot does;
`ModelDeck.final_validate` and `validate_llm_presets` exist but nothing calls them.

Pipelex 0.10's TOML loader rewrites every file it reads (trailing whitespace stripped, exactly
one blank line added at the end). So DIR is never given to Pipelex: each directory is copied into
the scratch directory and booted there; the files Pipelex rewrote are listed per directory under
`rewritten_by_pipelex` (the parse is of the rewritten text either way).

Credentials: 0.10 resolves every `${...}` of an enabled backend (in `backends.toml` and in its
model file) at boot, and fails the boot (`InferenceBackendCredentialsError`) on an unset one. Its
Vertex AI backend mints a token from a credentials file, over the network, at boot.
- `--credentials skip` (default, keyless): Pipelex's own `substitute_vars` still parses every
  placeholder (an unknown `${prefix:...}` is still an error), but every lookup answers the
  placeholder's own text (`${NAME}`, `${env:NAME}`), so no variable is read and none is missing.
- `--credentials dummy`: every variable a `${...}` of the backend files names is set to
  `dummy-<VAR>` in the environment and looked up for real by Pipelex.
In both, Vertex AI's `VertexAIFactory._make_api_key` (read the credentials file, call Google)
returns a dummy token; its checks that the project, location and credentials path are set run.

Isolation: before Pipelex is imported, HOME and PIPELEX_HOME point into a scratch directory, which
is also the working directory (no project `pipelex.toml`, `pipelex_*.toml` override, `.env` or
`pyproject.toml` is found; 0.10 reads all of them from the working directory), `DO_NOT_TRACK=1`
and `PIPELEX_USAGE_STATS=0` are set, and `RUN_MODE` (in CI mode 0.10 skips the `vertexai`
backend), `ENV`, `CODEX_CLOUD`, `PIPELEX_ENV` and `PIPELEXPATH` are removed. Pipelex's console
log handler is removed and what it prints to stdout while loading its config is dropped, so stdout
carries the JSON only. Nothing here makes a network call (0.10.2 has no telemetry).

Differences from the 0.92 tool's output
---------------------------------------
- `types` has `llm` with `served`, `aliases`, `presets`, `choices`; the other model types of
  0.10 (`text_extractor`) have `served` only: 0.10's deck is for LLMs, and its aliases are not
  per model type (an alias may name any served model; the lookup does not check the type).
- No `waterfalls`: a 0.10 alias whose value is a list is the fallback chain; its `target` is
  the list as written. No `defaults` (0.10 has no `default_temperature`), no `validate` (see
  above), no preset `defined` (no boot check of a preset's `llm_handle` exists), no `plugins`.
- A lookup is by bare name, exactly as a run looks a name up
  (`ModelDeck.get_optional_inference_model`): a served handle wins over an alias of the same
  name, so an alias shadowed by a handle answers the handle.
- `choices.for_text` / `for_object`: the expression `PipeLLM` evaluates for a step naming no
  model (`llm_choice_overrides.for_X or llm_choice_defaults.for_X`; an override `"disabled"` is
  None after the deck's validator), then `ModelDeck.get_llm_setting` and the lookup a run's
  worker does (`ModelManager.get_inference_model`, i.e. `get_required_inference_model`).

Pipelex is not installed in deckc's virtualenv, so it is imported through `importlib` and its
objects are typed `Any` here. The small helpers shared with `tools/pipelex_answers.py` (scrubber,
error shape, argument parsing) are repeated rather than imported: the two tools run under two
different Pipelex virtualenvs and as scripts, and 0.10's logging and boot differ enough that a
common module would mostly hold branches.
"""

from __future__ import annotations

import filecmp
import importlib
import io
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
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

PIPELEX_VERSION = "0.10.2"
ENV_REMOVED = ("RUN_MODE", "ENV", "CODEX_CLOUD", "PIPELEX_ENV", "PIPELEXPATH")
ENV_SET = {"DO_NOT_TRACK": "1", "PIPELEX_USAGE_STATS": "0"}
# Pipelex 0.10's own placeholder pattern (pipelex/tools/secrets/secrets_utils.py).
# Frames a lookup may use before an alias cycle counts as one (RecursionError, as in Pipelex).
LOOKUP_DEPTH = 200
PLACEHOLDER = re.compile(r"\$\{([^}\n\"'$]+)\}")


@dataclass(frozen=True)
class Pipelex:
    """The Pipelex objects this tool uses, imported after the environment is isolated."""

    hub: Any
    config: Any
    model_manager_cls: Any
    model_type: Any
    llm_setting_cls: Any
    routing_library_module: Any
    load_toml: Any


class _WarningCapture(logging.Handler):
    """Keeps the warnings Pipelex logs (it logs what it tolerates) for the current boot."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[dict[str, Json]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"level": record.levelname, "message": record.getMessage()})


class _PlaceholderSecrets:
    """For `--credentials skip`: a secret is answered by its own placeholder text."""

    def get_secret(self, secret_id: str) -> str:
        return f"${{{secret_id}}}"


def _env_placeholder(key: str) -> str:
    return f"${{env:{key}}}"


def _import_pipelex(credentials: str) -> Pipelex:
    def module(name: str) -> Any:
        return importlib.import_module(name)

    # Loading the config prints (to stdout) which project files it did not find: drop that.
    with redirect_stdout(io.StringIO()):
        hub_module = module("pipelex.hub")
        config_cls = module("pipelex.config").PipelexConfig
        log = module("pipelex.tools.log.log").log
        env_secrets = module("pipelex.tools.secrets.env_secrets_provider")
        hub = hub_module.PipelexHub()
        hub_module.set_pipelex_hub(hub)
        hub.setup_config(config_cls=config_cls)
        config = hub.get_required_config()
        log.configure(
            project_name=config.project_name or "unknown_project",
            log_config=config.pipelex.log_config,
        )
    # Pipelex's console handler on the root logger: the warnings are captured per boot instead.
    logging.getLogger().removeHandler(log.rich_handler)
    hub.set_secrets_provider(env_secrets.EnvSecretsProvider())
    if credentials == "skip":
        secrets_utils = module("pipelex.tools.secrets.secrets_utils")
        placeholder_secrets = _PlaceholderSecrets()
        secrets_utils.get_secrets_provider = lambda: placeholder_secrets
        secrets_utils.get_required_env = _env_placeholder
        secrets_utils.get_optional_env = _env_placeholder
    _stub_vertexai_token()
    return Pipelex(
        hub=hub,
        config=config,
        model_manager_cls=module("pipelex.cogt.models.model_manager").ModelManager,
        model_type=module("pipelex.cogt.model_backends.model_type").ModelType,
        llm_setting_cls=module("pipelex.cogt.llm.llm_setting").LLMSetting,
        routing_library_module=module("pipelex.cogt.model_routing.routing_profile_library"),
        load_toml=module("pipelex.tools.misc.toml_utils").load_toml_from_path,
    )


def _stub_vertexai_token() -> None:
    """Vertex AI's token is minted from a credentials file over the network; mint none."""
    factory = importlib.import_module("pipelex.plugins.openai.vertexai_factory").VertexAIFactory

    def make_api_key(cls: Any, gcp_credentials_file_path: str) -> str:
        return "dummy-vertexai-token"

    factory._make_api_key = classmethod(make_api_key)


def _set_dummy_credentials(config: ConfigDir) -> None:
    """Set `dummy-<VAR>` for every variable a `${...}` of the backend files names."""
    files = [config.path / "backends.toml", *sorted((config.path / "backends").glob("*.toml"))]
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError:
            continue  # the boot says what is wrong
        for match in PLACEHOLDER.finditer(text):
            for part in match.group(1).split("|"):
                name = part.split(":", 1)[-1].strip()
                if name:
                    os.environ[name] = f"dummy-{name}"


def _declared_profiles(
    px: Pipelex, path: Path, scrub: Scrubber
) -> tuple[str | None, list[str], dict[str, Json] | None]:
    """The active profile and every profile of the routing profile library, or its error."""
    try:
        library = px.load_toml(path=str(path / "routing_profiles.toml"))
    except Exception as exc:
        return None, [], error_answer(exc, scrub)
    active = library.get("active")
    profiles = library.get("profiles")
    names = list(profiles) if isinstance(profiles, dict) else []
    return (active if isinstance(active, str) else None), names, None


@contextmanager
def _captured_warnings() -> Iterator[_WarningCapture]:
    capture = _WarningCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)


@contextmanager
def _active_profile(px: Pipelex, profile: str | None) -> Iterator[None]:
    """Make the routing library load as if its file's `active` were `profile`."""
    module = px.routing_library_module
    original = module.load_toml_from_path
    if profile is None:
        yield
        return

    def load_toml_from_path(path: str) -> dict[str, Any]:
        loaded: dict[str, Any] = original(path=path)
        loaded["active"] = profile
        return loaded

    module.load_toml_from_path = load_toml_from_path
    try:
        yield
    finally:
        module.load_toml_from_path = original


def _boot(
    px: Pipelex,
    workdir: Path,
    *,
    profile: str | None,
    active_in_files: str | None,
    scrub: Scrubber,
) -> dict[str, Json]:
    """Boot Pipelex's model manager on `workdir` with `profile` active, and record its answers."""
    px.config.cogt.inference_config.inference_config_path = str(workdir)
    manager = px.model_manager_cls()
    px.hub.set_models_manager(manager)
    answer: dict[str, Json] = {}
    override = profile if profile is not None and profile != active_in_files else None
    started = time.perf_counter()
    with _captured_warnings() as capture, _active_profile(px, override):
        try:
            manager.setup()
        except Exception as exc:
            answer["boot"] = error_answer(exc, scrub)
        else:
            answer["boot"] = "ok"
            answer["enabled_backends"] = manager.inference_backend_library.list_backend_names()
            answer["routing_profile"] = manager.routing_profile_library.active_profile.name
            deck = manager.get_model_deck()
            types: dict[str, Json] = {}
            for model_type in px.model_type:
                served = {
                    spec.name: spec.backend_name
                    for spec in deck.inference_models.values()
                    if spec.model_type == model_type
                }
                types[str(model_type)] = {"served": served}
            types["llm"].update(_llm_answers(px, manager, deck, scrub))
            answer["types"] = types
        finally:
            manager.teardown()
    answer["warnings"] = [
        {**entry, "message": scrub(entry["message"])} for entry in capture.records
    ]
    answer["_seconds"] = time.perf_counter() - started
    return answer


def _stack_depth() -> int:
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


@contextmanager
def _bounded_recursion() -> Iterator[None]:
    """An alias cycle ends in RecursionError; reach it in LOOKUP_DEPTH frames, not ~1000.

    Each level of a failed lookup logs a warning, and 0.10's logger walks the whole stack
    (`inspect.stack()`) per message: at Python's default limit one cycle takes tens of seconds.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + LOOKUP_DEPTH)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _resolved(deck: Any, reference: str, scrub: Scrubber) -> dict[str, Json]:
    """What the run's lookup gives for a name: the served model, None, or the error."""
    try:
        with _bounded_recursion():
            spec = deck.get_optional_inference_model(model_handle=reference)
    except Exception as exc:
        return error_answer(exc, scrub)
    if spec is None:
        return {"model": None, "backend": None}
    return {"model": spec.name, "backend": spec.backend_name}


def _choice_answer(
    px: Pipelex, manager: Any, deck: Any, kind: str, scrub: Scrubber
) -> dict[str, Json]:
    """A step naming no model: PipeLLM's choice, its setting, then the model a run calls."""
    override = getattr(deck.llm_choice_overrides, kind)
    choice = override or getattr(deck.llm_choice_defaults, kind)
    answer: dict[str, Json] = {
        "from": f"llm_choice_overrides.{kind}" if override else f"llm_choice_defaults.{kind}"
    }
    if isinstance(choice, px.llm_setting_cls):
        answer["choice"] = {"inline": choice.model_dump(mode="json")}
    else:
        answer["choice"] = choice
        answer["preset"] = choice  # in 0.10 a string choice is a preset name, nothing else
    try:
        setting = deck.get_llm_setting(llm_setting_or_preset_id=choice)
    except Exception as exc:
        answer.update(error_answer(exc, scrub))
        return answer
    answer["setting"] = setting.model_dump(mode="json")
    try:
        with _bounded_recursion():
            spec = manager.get_inference_model(model_handle=setting.llm_handle)
    except Exception as exc:
        answer.update(error_answer(exc, scrub))
        return answer
    answer["model"] = spec.name
    answer["backend"] = spec.backend_name
    return answer


def _llm_answers(px: Pipelex, manager: Any, deck: Any, scrub: Scrubber) -> dict[str, Json]:
    """The LLM answers (beside `served`: every LLM the deck serves, handle -> backend).

    - `aliases`: the target as written (a string, or the list that is a fallback chain) and what
      the run's lookup of the alias's name (`ModelDeck.get_optional_inference_model`) gives: the
      served `model` and its `backend`, both None when it gives no model, or the error it raises.
    - `presets`: the `LLMSetting` fields as Pipelex exposes them (`settings`: `llm_handle`,
      `temperature`, `max_tokens` (`"auto"` is None), `prompting_target`) and the lookup of
      `llm_handle` as for an alias.
    - `choices`: what a step naming no model gets: the deck entry it comes `from`, the `choice`
      written there (a preset name, or `{"inline": setting}`), the `preset` it names if any, the
      `setting` Pipelex returns and the `model` / `backend` a run calls, or the error it raises.
    """
    presets: dict[str, Json] = {}
    for name, setting in deck.llm_presets.items():
        presets[name] = {
            "settings": setting.model_dump(mode="json"),
            **_resolved(deck, setting.llm_handle, scrub),
        }
    choices: dict[str, Json] = {}
    for kind in ("for_text", "for_object"):
        try:
            choices[kind] = _choice_answer(px, manager, deck, kind, scrub)
        except Exception as exc:
            choices[kind] = error_answer(exc, scrub)
    return {
        "aliases": {
            name: {"target": target, **_resolved(deck, name, scrub)}
            for name, target in deck.aliases.items()
        },
        "presets": presets,
        "choices": choices,
    }


def _rewritten(original: Path, copy: Path) -> list[str]:
    """The files of `original` whose copy Pipelex rewrote."""
    changed: list[str] = []
    for file in sorted(path for path in original.rglob("*") if path.is_file()):
        relative = file.relative_to(original)
        if not filecmp.cmp(file, copy / relative, shallow=False):
            changed.append(relative.as_posix())
    return changed


def _answer_directory(
    px: Pipelex,
    config: ConfigDir,
    *,
    index: int,
    profiles: list[str] | None,
    scratch: Path,
    credentials: str,
    timings: list[tuple[str, str, float]],
) -> dict[str, Json]:
    # Pipelex rewrites what it reads: it gets a copy (as `inference`, the directory's usual name).
    workdir = scratch / "dirs" / str(index) / "inference"
    shutil.copytree(config.path, workdir)
    scrub = Scrubber(
        [
            (str(workdir), f"<{config.label}>"),
            (str(config.path), f"<{config.label}>"),
            (str(scratch), "<tmp>"),
        ]
    )
    if credentials == "dummy":
        _set_dummy_credentials(config)
    active, declared, library_error = _declared_profiles(px, workdir, scrub)
    result: dict[str, Json] = {"active_in_files": active, "declared_profiles": declared}
    if library_error is not None:
        result["routing_profiles_error"] = library_error
    wanted: list[str | None] = list(profiles) if profiles else list(declared)
    if not wanted:
        wanted = [active]  # the library does not load: one boot says why
    answers: dict[str, Json] = {}
    for profile in wanted:
        key = profile if profile is not None else "(active)"
        answer = _boot(px, workdir, profile=profile, active_in_files=active, scrub=scrub)
        timings.append((config.label, key, answer.pop("_seconds")))
        answers[key] = answer
    result["profiles"] = answers
    result["rewritten_by_pipelex"] = _rewritten(config.path, workdir)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser("0.10", " (seed layout)")
    parser.add_argument(
        "--timings", action="store_true", help="print each boot's duration to stderr"
    )
    args = parser.parse_args(argv)
    output: Path | None = args.output.resolve() if args.output else None

    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="pipelex-answers-010-")).resolve()
    cwd = Path.cwd()
    timings: list[tuple[str, str, float]] = []
    try:
        isolate_environment(scratch, ENV_REMOVED, ENV_SET)
        px = _import_pipelex(args.credentials)
        imported = time.perf_counter()
        report: dict[str, Json] = {
            "pipelex_version": importlib.import_module("importlib.metadata").version("pipelex"),
            "credentials": args.credentials,
            "directories": {
                config.label: _answer_directory(
                    px,
                    config,
                    index=index,
                    profiles=args.profiles,
                    scratch=scratch,
                    credentials=args.credentials,
                    timings=timings,
                )
                for index, config in enumerate(args.directories)
            },
        }
    finally:
        os.chdir(cwd)
        shutil.rmtree(scratch, ignore_errors=True)
    finished = time.perf_counter()
    if args.timings:
        for label, profile, seconds in timings:
            sys.stderr.write(f"  {label} / {profile}: {seconds * 1000:.1f} ms\n")
    write_report(
        report, output, seconds=(started, imported, finished), written_against=PIPELEX_VERSION
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
