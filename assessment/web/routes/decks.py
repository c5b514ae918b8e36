"""PowerPoint downloads: a unit's results, the organisation's roadmap and a workshop's
wrap-up as editable 16:9 decks in the chosen language and the brand. A deck takes a moment
(no browser engine, no worker process), so it is made in the request, in a worker thread
(these are plain `def` routes). Every download is audited like the other exports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from assessment import accounts, brand
from assessment.i18n import LANGUAGES, Translator
from assessment.models import Round, User, id_of
from assessment.services import N_
from assessment.web.access import ReportRead, RoadmapReportRead, UserDep, WorkshopRead
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.errors import PageError
from assessment.web.security import client_address
from reports.roadmap_report import build_roadmap_report
from reports.slides import PPTX_MEDIA_TYPE, deck_filename, roadmap_deck, unit_deck, wrapup_deck
from reports.unit_report import build_unit_report
from reports.wrapup import build_wrapup

router = APIRouter()
BAD_LANGUAGE = N_("Choose the report's language.")


def _translator(request: Request, t: Translator, language: str | None) -> Translator:
    """The deck's language: the one asked for, else the page's."""
    if language is None:
        return t
    if language not in LANGUAGES:
        raise PageError(422, BAD_LANGUAGE)
    translator: Translator = request.app.state.catalogues.translator(language)
    return translator


def _send(request: Request, session: Session, user: User, organisation_id: int, body: bytes,
          filename: str, what: str) -> Response:
    accounts.audit(session, "export", user=user, organisation_id=organisation_id,
                   address=client_address(request), what=what, format="pptx")
    session.commit()
    return Response(body, media_type=PPTX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@router.get("/rounds/{round_id}/units/{unit_id}/report.pptx")
def download_unit_deck(request: Request, session: SessionDep, t: TranslatorDep,
                       registry: RegistryDep, target: ReportRead, user: UserDep,
                       language: str | None = None) -> Response:
    """The unit's results as a PowerPoint deck."""
    deck_t = _translator(request, t, language)
    report = build_unit_report(session, registry, target.round, target.unit,
                               min_votes=request.app.state.settings.workshop_min_votes)
    organisation_id = target.round.organisation_id
    the_brand = brand.organisation_brand(session, request.app.state.brand_defaults,
                                         organisation_id)
    body = unit_deck(report, deck_t, the_brand)
    name = deck_filename("unit-report", report.unit_name, report.round_name,
                         language=deck_t.language)
    return _send(request, session, user, organisation_id, body, name, "unit_deck")


@router.get("/organisations/{organisation_id}/roadmap/report.pptx")
def download_roadmap_deck(request: Request, session: SessionDep, t: TranslatorDep,
                          registry: RegistryDep, organisation: RoadmapReportRead,
                          user: UserDep, language: str | None = None) -> Response:
    """The organisation's rollout roadmap as a PowerPoint deck."""
    deck_t = _translator(request, t, language)
    report = build_roadmap_report(session, registry, organisation)
    the_brand = brand.organisation_brand(session, request.app.state.brand_defaults,
                                         id_of(organisation))
    body = roadmap_deck(report, deck_t, the_brand)
    name = deck_filename("roadmap", report.organisation_name, language=deck_t.language)
    return _send(request, session, user, id_of(organisation), body, name, "roadmap_deck")


@router.get("/workshops/{workshop_id}/wrapup.pptx")
def download_wrapup_deck(request: Request, session: SessionDep, t: TranslatorDep,
                         registry: RegistryDep, workshop: WorkshopRead, user: UserDep,
                         language: str | None = None) -> Response:
    """The workshop's wrap-up (consensus, targets, needs, divergent questions) as a deck."""
    deck_t = _translator(request, t, language)
    wrapup = build_wrapup(session, registry, workshop,
                          min_votes=request.app.state.settings.workshop_min_votes)
    round_ = session.get(Round, workshop.round_id)
    organisation_id = round_.organisation_id if round_ else 0
    the_brand = brand.organisation_brand(session, request.app.state.brand_defaults,
                                         organisation_id)
    body = wrapup_deck(wrapup, deck_t, the_brand)
    name = deck_filename("workshop-wrap-up", wrapup.unit_name, wrapup.round_name,
                         language=deck_t.language)
    return _send(request, session, user, organisation_id, body, name, "wrapup_deck")

