"""The generated package's static code: standard library only, copied verbatim into every output
directory beside the data modules that the templates fill in. The compiler uses the same
reference grammar and ${VAR} expander, so both always agree.
"""
