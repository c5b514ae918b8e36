"""Frameworks published by administrators: read an uploaded framework file or workbook,
publish it as a new version, and load the registry from the shipped and published files.

Published files live in their own directory (`MATURITY_PUBLISHED_FRAMEWORKS_DIR`), laid out
like the shipped one: `<id>.yaml` is the current version, `archive/` holds the earlier ones.
A published framework with the id of a shipped one replaces it for new rounds; the shipped
version is still known (as an earlier version), so nothing pinned to it changes.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

import yaml

from assessment.framework import (
    ARCHIVE,
    Framework,
    FrameworkFileError,
    FrameworkRegistry,
    load_framework,
    parse_framework,
)
from assessment.framework_workbook import (
    MAX_WORKBOOK_BYTES,
    N_,
    XLSX_MAGIC,
    Problem,
    WorkbookError,
    framework_from_workbook,
    framework_yaml,
)


def _issues_as_problems(exc: FrameworkFileError) -> list[Problem]:
    return [Problem(issue.message, path=issue.path, translatable=False)
            for issue in exc.issues]


def read_upload(data: bytes, filename: str) -> Framework:
    """The framework in an uploaded workbook (.xlsx) or framework file (YAML); raise
    WorkbookError with every problem found."""
    name = filename or "upload"
    if data.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm")):
        return framework_from_workbook(data, name)
    if len(data) > MAX_WORKBOOK_BYTES:
        return framework_from_workbook(data, name)  # refused for its size, with the message
    try:
        text = data.decode("utf-8")
        # Aliases can make a small file expand without bound: a framework file needs none.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text,
                                                                           yaml.SafeLoader)):
            raise WorkbookError(name, [Problem(N_(
                "The file uses YAML aliases (*name); write every value out instead."))])
        parsed = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise WorkbookError(name, [Problem(N_(
            "The file is neither an Excel workbook (.xlsx) nor a framework file (YAML)."))],
            ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkbookError(name, [Problem(f"not valid YAML: {problem}", path=where,
                                           translatable=False)]) from None
    try:
        return parse_framework(parsed, Path(name))
    except FrameworkFileError as exc:
        raise WorkbookError(name, _issues_as_problems(exc)) from None


# Loading -----------------------------------------------------------------------------------

def _files(directory: Path | None) -> tuple[list[Path], list[Path]]:
    if directory is None or not directory.is_dir():
        return [], []
    return (sorted(directory.glob("*.y*ml")), sorted((directory / ARCHIVE).glob("*.y*ml")))


def load_registry(frameworks_dir: Path, published_dir: Path | None = None,
                  ) -> FrameworkRegistry:
    """The shipped frameworks and the published ones; a published framework replaces the
    shipped one of the same id for new rounds (the shipped one stays known). The first
    invalid file stops loading (FrameworkFileError)."""
    shipped, shipped_archive = _files(frameworks_dir)
    published, published_archive = _files(published_dir)
    base = [load_framework(p) for p in shipped]
    mine = [load_framework(p) for p in published]
    replaced = {f.id for f in mine}
    current = [f for f in base if f.id not in replaced] + mine
    archived = ([load_framework(p) for p in shipped_archive]
                + [load_framework(p) for p in published_archive]
                + [f for f in base if f.id in replaced])
    return FrameworkRegistry(current, archived)


def _signature(directory: Path | None) -> tuple[tuple[str, int, int], ...]:
    found = []
    current, archived = _files(directory)
    for path in [*current, *archived]:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class PublishedFrameworks:
    """Keeps an app's registry in step with the published directory: any app process picks
    up a version another one published (checked with one directory listing)."""

    def __init__(self, registry: FrameworkRegistry, frameworks_dir: Path,
                 published_dir: Path | None) -> None:
        self.registry = registry
        self.frameworks_dir = frameworks_dir
        self.published_dir = published_dir
        self._seen = _signature(published_dir)
        self._lock = threading.Lock()

    def refresh(self) -> FrameworkRegistry:
        """The registry, reloaded first when the published files changed."""
        now = _signature(self.published_dir)
        if now != self._seen:
            with self._lock:
                if now != self._seen:
                    try:
                        fresh = load_registry(self.frameworks_dir, self.published_dir)
                    except FrameworkFileError:
                        return self.registry  # a file edited by hand: keep what works
                    self.registry.take_over(fresh)
                    self._seen = now
        return self.registry


# Publishing --------------------------------------------------------------------------------

def publish_problems(framework: Framework, registry: FrameworkRegistry) -> list[Problem]:
    """Why the framework cannot be published as a new version (empty when it can)."""
    known = {f.version: f for f in registry.versions(framework.id)}
    same = known.get(framework.version)
    if same is None:
        return []
    if same.content_hash() == framework.content_hash():
        return [Problem(N_("Version {version} of {id} is already published with exactly "
                           "this content."), {"version": framework.version,
                                              "id": framework.id})]
    return [Problem(N_("Version {version} of {id} exists already with other content: give "
                       "the new one another version."), {"version": framework.version,
                                                         "id": framework.id})]


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish(framework: Framework, library: PublishedFrameworks, *, by: str,
            source: str) -> Path:
    """Write the framework as the current version of its id in the published directory (the
    one it replaces moves to `archive/`) and reload the registry; raise WorkbookError when it
    cannot be published."""
    directory = library.published_dir
    if directory is None:
        raise WorkbookError(source, [Problem(N_("Publishing is not configured: set "
                                                "MATURITY_PUBLISHED_FRAMEWORKS_DIR."))])
    registry = library.refresh()
    problems = publish_problems(framework, registry)
    if problems:
        raise WorkbookError(source, problems)
    target = directory / f"{framework.id}.yaml"
    if target.exists():
        previous = load_framework(target)
        version = re.sub(r"[^A-Za-z0-9._-]", "_", previous.version)
        archived = directory / ARCHIVE / f"{previous.id}-{version}.yaml"
        _write_atomically(archived, target.read_text(encoding="utf-8"))
    text = framework_yaml(framework, comment=f"Published by {by} from {source}")
    _write_atomically(target, text)
    library.refresh()
    return target
