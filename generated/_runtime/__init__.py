# Copied by deckc 0.1.0 from its runtime (compiler/runtime/__init__.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""The generated package's static code: standard library only, copied verbatim into every output
directory beside the data modules that the templates fill in. The compiler uses the same
reference grammar and ${VAR} expander, so both always agree.
"""
