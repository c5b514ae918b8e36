"""Brands: the administrator sets the consultancy's (name, logo, colours, contact line,
footer) for the whole installation; a consultant sets a client organisation's name and logo.
Both go on every PDF and slide deck, the projector and the join page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from assessment import accounts, brand
from assessment.i18n import Translator
from assessment.models import Organisation, OrganisationBrand, SiteBrand, id_of
from assessment.services import ServiceError
from assessment.web.access import BrandRead, BrandWrite, SiteBrandRead, SiteBrandWrite, UserDep
from assessment.web.deps import SessionDep, TranslatorDep
from assessment.web.pages import see_other
from assessment.web.security import client_address

router = APIRouter()
Text = Annotated[str | None, Form()]
Logo = Annotated[UploadFile | None, File()]
SAVED = "saved"


def _logo_bytes(upload: UploadFile | None) -> bytes | None:
    """The uploaded logo's bytes (at most one byte past the limit: enough to refuse it)."""
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(brand.LOGO_MAX_BYTES + 1)
    return data or None


def _site_form(request: Request, t: Translator, session: SessionDep, *,
               values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               saved: bool = False, status: int = 200) -> Response:
    defaults: brand.BrandDefaults = request.app.state.brand_defaults
    current = brand.site_brand(session, defaults)
    row = session.get(SiteBrand, brand.SITE_BRAND_ID)
    shown = values or {"name": current.name, "contact": current.contact,
                       "footer": current.footer, "primary": current.primary.upper(),
                       "accent": current.accent.upper()}
    page: dict[str, Any] = {
        "form": {"values": shown, "errors": errors or {}}, "current": current,
        "logo_from_settings": current.logo is not None and (row is None or row.logo is None),
        "saved": saved, "min_contrast": brand.MIN_CONTRAST}
    return request.app.state.pages.page(request, t, "brand.html", page,
                                        fragment=["content"], status=status)


@router.get("/brand")
def show_site_brand(request: Request, session: SessionDep, t: TranslatorDep,
                    _: SiteBrandRead, saved: str | None = None) -> Response:
    """The consultancy's brand: name, logo, colours, contact line and footer."""
    return _site_form(request, t, session, saved=saved == SAVED)


@router.post("/brand")
def save_site_brand(request: Request, session: SessionDep, t: TranslatorDep,
                    _: SiteBrandWrite, user: UserDep, name: Text = None, contact: Text = None,
                    footer: Text = None, primary: Text = None, accent: Text = None,
                    logo: Logo = None, remove_logo: Text = None) -> Response:
    """Check everything, then store the brand; a refused field changes nothing."""
    values = {"name": name or "", "contact": contact or "", "footer": footer or "",
              "primary": primary or "", "accent": accent or ""}
    try:
        brand.save_site_brand(session, brand.SiteBrandInput(
            name, contact, footer, primary, accent, _logo_bytes(logo),
            remove_logo=remove_logo == "1"))
        accounts.audit(session, "brand", user=user, organisation_id=None,
                       address=client_address(request))
    except ServiceError as exc:
        session.rollback()
        field = exc.field or "name"
        return _site_form(request, t, session, values=values,
                          errors={field: t.gettext(exc.message, **exc.params)},
                          status=exc.status)
    session.commit()
    return see_other(f"/brand?saved={SAVED}")


def _organisation_form(request: Request, t: Translator, session: SessionDep,
                       organisation: Organisation, *, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, saved: bool = False,
                       status: int = 200) -> Response:
    row = session.get(OrganisationBrand, id_of(organisation))
    current = brand.organisation_brand(session, request.app.state.brand_defaults,
                                       id_of(organisation))
    shown = values or {"client_name": row.client_name if row else ""}
    page: dict[str, Any] = {"organisation": organisation, "current": current,
                            "form": {"values": shown, "errors": errors or {}}, "saved": saved}
    return request.app.state.pages.page(request, t, "organisation_brand.html", page,
                                        fragment=["content"], status=status)


@router.get("/organisations/{organisation_id}/brand")
def show_organisation_brand(request: Request, session: SessionDep, t: TranslatorDep,
                            organisation: BrandRead, saved: str | None = None) -> Response:
    """The client's name and logo on the organisation's deliverables."""
    return _organisation_form(request, t, session, organisation, saved=saved == SAVED)


@router.post("/organisations/{organisation_id}/brand")
def save_organisation_brand(request: Request, session: SessionDep, t: TranslatorDep,
                            organisation: BrandWrite, user: UserDep,
                            client_name: Text = None, logo: Logo = None,
                            remove_logo: Text = None) -> Response:
    """Check, then store the client's name and logo; a refused logo changes nothing."""
    try:
        brand.save_organisation_brand(session, id_of(organisation), client_name,
                                      _logo_bytes(logo), remove_logo=remove_logo == "1")
        accounts.audit(session, "brand", user=user, organisation_id=id_of(organisation),
                       address=client_address(request))
    except ServiceError as exc:
        session.rollback()
        return _organisation_form(
            request, t, session, organisation, values={"client_name": client_name or ""},
            errors={exc.field or "client_name": t.gettext(exc.message, **exc.params)},
            status=exc.status)
    session.commit()
    return see_other(f"/organisations/{organisation.id}/brand?saved={SAVED}")
