"""Where the data that travels with the package lives: templates and framework files."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The installed copy (`assessment/_data/NAME`) or, in a source tree, the top-level one."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
