"""Administration of frameworks: every framework and version, a workbook to start from, and
checking and publishing an uploaded framework file or workbook as a new version."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from starlette.responses import Response

from assessment.framework import Framework, FrameworkRegistry, summary
from assessment.framework_library import publish, publish_problems, read_upload
from assessment.framework_workbook import (
    MAX_WORKBOOK_BYTES,
    Problem,
    WorkbookError,
    workbook_bytes,
)
from assessment.i18n import Translator
from assessment.services import N_
from assessment.web.access import FrameworksRead, FrameworksWrite, UserDep
from assessment.web.deps import RegistryDep, TranslatorDep
from assessment.web.pages import see_other

router = APIRouter()


def problem_text(t: Translator, problem: Problem) -> tuple[str, str]:
    """Where a problem is and what it is, in the reader's language where the message is the
    app's (the framework checks' own messages are in English)."""
    parts = []
    if problem.sheet:
        parts.append(t.gettext("sheet {sheet}", sheet=problem.sheet))
    if problem.row:
        parts.append(t.gettext("row {row}", row=t.number(problem.row)))
    if problem.column:
        parts.append(t.gettext("column {column}", column=problem.column)
                     + (f" ({problem.header})" if problem.header else ""))
    body = (t.gettext(problem.message, **problem.params) if problem.translatable
            else problem.message)
    if problem.path:
        body = f"{problem.path}: {body}"
    return ", ".join(parts), body


def _frameworks_page(request: Request, t: Translator, registry: FrameworkRegistry, *,
                     problems: list[Problem] | None = None, checked: Framework | None = None,
                     filename: str = "", status: int = 200) -> Response:
    settings = request.app.state.settings
    values: dict[str, Any] = {
        "frameworks": [(f, registry.versions(f.id)) for f in registry.current],
        "problems": [problem_text(t, p) for p in problems or []],
        "checked": checked, "checked_summary": summary(checked) if checked else "",
        "filename": filename, "published": request.query_params.get("published", ""),
        "publishing": settings.published_frameworks_dir is not None,
        "max_mb": MAX_WORKBOOK_BYTES // 1024 // 1024,
    }
    return request.app.state.pages.page(request, t, "frameworks.html", values,
                                        fragment=["content"], status=status)


@router.get("/frameworks")
def show_frameworks(request: Request, t: TranslatorDep, registry: RegistryDep,
                    _: FrameworksRead) -> Response:
    """Every framework with its versions, and the form to check or publish a new one."""
    return _frameworks_page(request, t, registry)


@router.post("/frameworks")
def upload_framework(request: Request, t: TranslatorDep, registry: RegistryDep,
                     _: FrameworksWrite, user: UserDep,
                     file: Annotated[UploadFile | None, File()] = None,
                     intent: Annotated[str | None, Form()] = None) -> Response:
    """Check an uploaded framework file or workbook and list every problem, or publish it
    as a new version (then nothing is published unless all of it is valid)."""
    if file is None or not file.filename:
        return _frameworks_page(request, t, registry, status=422, problems=[Problem(
            N_("Choose a framework workbook (.xlsx) or framework file (.yaml)."))])
    name = file.filename
    data = file.file.read(MAX_WORKBOOK_BYTES + 1)
    try:
        framework = read_upload(data, name)
        if intent != "publish":
            problems = publish_problems(framework, registry)
            if problems:
                raise WorkbookError(name, problems)
            return _frameworks_page(request, t, registry, checked=framework, filename=name)
        publish(framework, request.app.state.published, by=user.email, source=name)
    except WorkbookError as exc:
        return _frameworks_page(request, t, registry, problems=exc.problems, filename=name,
                                status=422)
    return see_other(f"/frameworks?published={framework.id}+{framework.version}")


@router.get("/frameworks/{framework_id}/workbook.xlsx")
def download_workbook(registry: RegistryDep, _: FrameworksRead, framework_id: str,
                      version: Annotated[str | None, Query()] = None) -> Response:
    """A framework version as a workbook to edit in Excel and upload again."""
    found = [f for f in registry.versions(framework_id)
             if version is None or f.version == version]
    if not found:
        raise HTTPException(status_code=404)
    framework = found[0]
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", f"{framework.id}-{framework.version}.xlsx")
    return Response(workbook_bytes(framework), media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
