"""Findings as GitHub Actions workflow commands (``--format github``): one annotation per
finding, which GitHub shows on the file and line of the pull request.

A workflow command is ``::error file=F,line=L,col=C,title=T::MESSAGE`` (``warning`` and
``notice`` alike).  The message escapes ``%``, CR and LF; a property value escapes those and
``:`` and ``,`` too, or GitHub would read them as the end of the value.
"""

from __future__ import annotations

from ..core.errors import DeckError, Severity
from ..core.naming import format_key_path

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A message as a workflow command carries it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title) as a workflow command carries it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: DeckError) -> str:
    """The workflow command of ``finding``: its file, line and column, its code as the title,
    its key path, message and hint as the text."""
    location = finding.location
    properties = [f"file={escape_property(location.file)}"]
    if location.line:
        properties.append(f"line={location.line}")
        if location.column:
            properties.append(f"col={location.column}")
    properties.append(f"title={escape_property(f'deckc {finding.code}')}")
    path = format_key_path(finding.key_path)
    text = f"{path}: {finding.message}" if path else finding.message
    text += "".join(f"\nsee also {related}" for related in finding.related)
    text += f"\nhint: {finding.hint}" if finding.hint else ""
    return f"::{_LEVEL[finding.severity]} {','.join(properties)}::{escape_data(text)}"
