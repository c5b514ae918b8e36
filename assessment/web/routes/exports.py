"""Downloads: a round's answers and scores and an organisation's actions as CSV or XLSX, and
the whole organisation as JSON (`maturity import` reads it). Every download is audited."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import Session
from starlette.responses import Response

from assessment import accounts, exchange, org_frameworks, services
from assessment.framework import FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import Organisation, Round, User, id_of
from assessment.web.access import (
    OrganisationExport,
    OrganisationFullExport,
    RoundExport,
    UserDep,
)
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.errors import PageError
from assessment.web.routes.dashboard import (
    FrameworkParam as FrameworkQuery,
)
from assessment.web.routes.dashboard import Raw, RoundParam, pick_round, pick_unit
from assessment.web.security import client_address
from reports import tables

router = APIRouter()

RoundTable = Callable[[Session, FrameworkRegistry, Round, Translator], tables.Table]
MEDIA_TYPES = {"csv": tables.CSV_MEDIA_TYPE, "xlsx": tables.XLSX_MEDIA_TYPE,
               "json": "application/json"}


def ascii_filename(stem: str, name: str, extension: str, fallback: str) -> str:
    """A download name safe in any header and file system: ASCII letters, digits, hyphens."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-") or fallback
    return f"{stem}-{slug}.{extension}"


def _download(body: bytes, extension: str, filename: str) -> Response:
    # Exports hold the organisation's data: never kept by a shared cache.
    return Response(body, media_type=MEDIA_TYPES[extension], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def _audit(session: Session, request: Request, user: User, organisation_id: int,
           **detail: object) -> None:
    accounts.audit(session, "export", user=user, organisation_id=organisation_id,
                   address=client_address(request), **detail)
    session.commit()


def _round_download(request: Request, session: Session, registry: FrameworkRegistry,
                    t: Translator, user: User, round_: Round, build: RoundTable, what: str,
                    extension: str) -> Response:
    table = build(session, registry, round_, t)
    body = tables.to_csv(table, t) if extension == "csv" else tables.to_xlsx(table, t)
    filename = ascii_filename(what, round_.name, extension, f"round-{round_.id}")
    _audit(session, request, user, round_.organisation_id, what=what, format=extension,
           round=round_.id)
    return _download(body, extension, filename)


@router.get("/rounds/{round_id}/export/answers.csv")
def download_answers_csv(request: Request, session: SessionDep, registry: RegistryDep,
                         t: TranslatorDep, user: UserDep, round_: RoundExport) -> Response:
    """The round's answers as CSV."""
    return _round_download(request, session, registry, t, user, round_, tables.answers_table,
                           "answers", "csv")


@router.get("/rounds/{round_id}/export/answers.xlsx")
def download_answers_xlsx(request: Request, session: SessionDep, registry: RegistryDep,
                          t: TranslatorDep, user: UserDep, round_: RoundExport) -> Response:
    """The round's answers as an Excel workbook."""
    return _round_download(request, session, registry, t, user, round_, tables.answers_table,
                           "answers", "xlsx")


@router.get("/rounds/{round_id}/export/scores.csv")
def download_scores_csv(request: Request, session: SessionDep, registry: RegistryDep,
                        t: TranslatorDep, user: UserDep, round_: RoundExport) -> Response:
    """The round's scores per unit and factor as CSV."""
    return _round_download(request, session, registry, t, user, round_, tables.scores_table,
                           "scores", "csv")


@router.get("/rounds/{round_id}/export/scores.xlsx")
def download_scores_xlsx(request: Request, session: SessionDep, registry: RegistryDep,
                         t: TranslatorDep, user: UserDep, round_: RoundExport) -> Response:
    """The round's scores per unit and factor as an Excel workbook."""
    return _round_download(request, session, registry, t, user, round_, tables.scores_table,
                           "scores", "xlsx")


def _actions_download(request: Request, session: Session, registry: FrameworkRegistry,
                      t: Translator, user: User, organisation: Organisation,
                      extension: str, framework: str | None) -> Response:
    chosen = (framework or "").strip() or None
    if chosen is not None and chosen not in {
            c.id for c in org_frameworks.choices(session, registry, organisation)}:
        raise HTTPException(status_code=404)
    table = tables.actions_table(session, registry, organisation, t, chosen)
    body = tables.to_csv(table, t) if extension == "csv" else tables.to_xlsx(table, t)
    org_id = organisation.id or 0
    filename = ascii_filename("actions", organisation.name, extension, f"organisation-{org_id}")
    _audit(session, request, user, org_id, what="actions", format=extension)
    return _download(body, extension, filename)


@router.get("/organisations/{organisation_id}/export/actions.csv")
def download_actions_csv(request: Request, session: SessionDep, registry: RegistryDep,
                         t: TranslatorDep, user: UserDep,
                         organisation: OrganisationExport,
                         framework: FrameworkQuery = None) -> Response:
    """The organisation's actions as CSV (with `?framework=ID`, that framework's only)."""
    return _actions_download(request, session, registry, t, user, organisation, "csv",
                             framework)


@router.get("/organisations/{organisation_id}/export/actions.xlsx")
def download_actions_xlsx(request: Request, session: SessionDep, registry: RegistryDep,
                          t: TranslatorDep, user: UserDep,
                          organisation: OrganisationExport,
                          framework: FrameworkQuery = None) -> Response:
    """The organisation's actions as an Excel workbook (with `?framework=ID`, that
    framework's only)."""
    return _actions_download(request, session, registry, t, user, organisation, "xlsx",
                             framework)


def _dashboard_download(request: Request, session: Session, registry: FrameworkRegistry,
                        t: Translator, user: User, organisation: Organisation,
                        chosen_round: str | None, unit: str | None, extension: str) -> Response:
    round_ = pick_round(services.list_rounds(session, organisation), chosen_round)
    if round_ is None:
        raise PageError(404, NO_ROUNDS)
    root = pick_unit(services.unit_tree(session, organisation), unit)
    table = tables.dashboard_table(session, registry, organisation, round_,
                                   id_of(root) if root else None, t)
    body = tables.to_csv(table, t) if extension == "csv" else tables.to_xlsx(table, t)
    name = f"{organisation.name} {root.name} {round_.name}" if root else \
        f"{organisation.name} {round_.name}"
    filename = ascii_filename("dashboard", name, extension, f"round-{round_.id}")
    _audit(session, request, user, id_of(organisation), what="dashboard", format=extension,
           round=round_.id, unit=root.id if root else None)
    return _download(body, extension, filename)


NO_ROUNDS = services.N_("No assessment rounds yet, so there is nothing to compare.")


@router.get("/organisations/{organisation_id}/export/dashboard.csv")
def download_dashboard_csv(request: Request, session: SessionDep, registry: RegistryDep,
                           t: TranslatorDep, user: UserDep, organisation: OrganisationExport,
                           chosen_round: RoundParam = None, unit: Raw = None) -> Response:
    """The dashboard's table (every unit's score, stage and weakest link per factor in a
    round, for the organisation or a sub-tree) as CSV."""
    return _dashboard_download(request, session, registry, t, user, organisation,
                               chosen_round, unit, "csv")


@router.get("/organisations/{organisation_id}/export/dashboard.xlsx")
def download_dashboard_xlsx(request: Request, session: SessionDep, registry: RegistryDep,
                            t: TranslatorDep, user: UserDep, organisation: OrganisationExport,
                            chosen_round: RoundParam = None, unit: Raw = None) -> Response:
    """The dashboard's table as an Excel workbook."""
    return _dashboard_download(request, session, registry, t, user, organisation,
                               chosen_round, unit, "xlsx")


@router.get("/organisations/{organisation_id}/export.json")
def download_organisation_json(request: Request, session: SessionDep, user: UserDep,
                               organisation: OrganisationFullExport) -> Response:
    """Everything the organisation holds as one JSON file (see `assessment.exchange`)."""
    body = exchange.dump_json(exchange.export_organisation(session, organisation))
    org_id = organisation.id or 0
    filename = ascii_filename("organisation", organisation.name, "json",
                              f"organisation-{org_id}")
    _audit(session, request, user, org_id, what="organisation", format="json")
    return _download(body.encode("utf-8"), "json", filename)
