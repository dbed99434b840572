"""Stage 1-3: load the TOML sources (the only file reads), validate them against their schemas,
build the typed IR.
"""
