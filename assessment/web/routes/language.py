"""The language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from assessment.i18n import LANGUAGES
from assessment.web.access import PublicWrite
from assessment.web.deps import LANGUAGE_COOKIE
from assessment.web.pages import safe_next, see_other

router = APIRouter()
ONE_YEAR = 365 * 24 * 3600


@router.post("/language")
def switch_language(_: PublicWrite, lang: Annotated[str, Form()] = "",
                    next: Annotated[str, Form()] = "/") -> RedirectResponse:
    """Remember the chosen language in a cookie and go back to the page."""
    response = see_other(safe_next(next))
    if lang in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, httponly=True,
                            samesite="lax")
    return response
