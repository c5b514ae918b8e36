"""Brands over HTTP: the administrator's and a consultant's brand pages (bad logos refused
with a message and nothing changed), the brand on the projector and the join page, and the
PowerPoint downloads."""

from __future__ import annotations

import io

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pptx import Presentation
from sqlmodel import Session, select

from assessment import services
from assessment.demo import load_demo
from assessment.framework import Framework
from assessment.models import AuditEvent, OrganisationBrand, Role, SiteBrand, Workshop
from reports.slides import PPTX_MEDIA_TYPE
from tests.assessment.test_brand import HOSTILE_SVGS, SVG, png
from tests.conftest import sign_in
from tests.factories import make_organisation, make_user

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
FORM = {"name": "Kumppani Consulting", "contact": "kalle@kumppani.example",
        "footer": "Luottamuksellinen", "primary": "#0B5D3B", "accent": "#9C3D00"}


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def post_brand(client: TestClient, logo: tuple[str, bytes, str] | None = None,
               **changes: str):  # type: ignore[no-untyped-def]
    files = {"logo": logo} if logo else {"logo": ("", b"", "application/octet-stream")}
    return client.post("/brand", data={**FORM, **changes}, files=files,
                       follow_redirects=False)


def test_the_administrator_sets_the_brand(client: TestClient, db: Session) -> None:
    page = client.get("/brand")
    assert page.status_code == 200 and soup(page).select_one("h1").get_text() == "Brand"
    assert soup(page).select_one("form[enctype='multipart/form-data']") is not None
    saved = post_brand(client, ("logo.svg", SVG, "image/svg+xml"))
    assert saved.status_code == 303 and saved.headers["location"] == "/brand?saved=saved"
    row = db.exec(select(SiteBrand)).one()
    assert (row.name, row.primary_colour, row.logo_type) == (
        "Kumppani Consulting", "#0b5d3b", "image/svg+xml")
    shown = client.get("/brand?saved=saved")
    assert "The brand is saved." in shown.text
    preview = soup(shown).select_one(".brand-preview img")
    assert preview is not None and preview["src"].startswith("data:image/svg+xml;base64,")
    assert db.exec(select(AuditEvent).where(AuditEvent.event == "brand")).first() is not None


def test_the_brand_page_is_a_fragment_for_htmx(client: TestClient) -> None:
    full = client.get("/brand")
    fragment = client.get("/brand", headers=HX)
    restored = client.get("/brand", headers=HISTORY)
    assert "<html" in full.text and "<html" in restored.text
    assert "<html" not in fragment.text and "<h1>Brand</h1>" in fragment.text


def test_bad_logos_are_refused_with_a_message_and_change_nothing(
        client: TestClient, db: Session) -> None:
    assert post_brand(client, ("logo.png", png(), "image/png")).status_code == 303
    before = db.exec(select(SiteBrand)).one()
    kept = (before.name, before.logo, before.updated_at)
    cases = {
        "script.svg": (HOSTILE_SVGS["script"], "holds something an image must not"),
        "bomb.svg": (HOSTILE_SVGS["entity bomb"], "a DTD or entity"),
        "report.png": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "PNG, JPEG or SVG"),
        "big.png": (png() + b"\0" * (1024 * 1024), "larger than 1 MB"),
    }
    for name, (data, message) in cases.items():
        refused = post_brand(client, (name, data, "image/png"), name="Muutettu")
        assert refused.status_code == 422, name
        error = soup(refused).select_one("#error-logo")
        assert error is not None and message in error.get_text(), name
        assert soup(refused).select_one("#field-name")["value"] == "Muutettu"
        db.expire_all()
        after = db.exec(select(SiteBrand)).one()
        assert (after.name, after.logo, after.updated_at) == kept, name


def test_a_30_mb_logo_is_refused_before_it_is_read(client: TestClient, db: Session) -> None:
    refused = post_brand(client, ("huge.png", png() + b"\0" * (30 * 1024 * 1024),
                                  "image/png"))
    assert refused.status_code == 413
    assert "too large" in refused.text.lower()
    assert db.exec(select(SiteBrand)).first() is None


def test_a_colour_without_contrast_is_refused(client: TestClient, db: Session) -> None:
    refused = post_brand(client, primary="#FFB000")
    assert refused.status_code == 422
    error = soup(refused).select_one("#error-primary")
    assert error is not None and "below the 4.5:1" in error.get_text()
    assert db.exec(select(SiteBrand)).first() is None


def test_a_consultant_sets_the_clients_brand(client: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    other = make_organisation(db, name="Toinen Oy")
    make_user(db, email="consultant@example.com", organisation=organisation,
              role=Role.consultant)
    db.commit()
    with TestClient(client.app, headers={"Accept-Language": "fi"}) as consultant:
        consultant.cookies.set("csrf", client.cookies.get("csrf") or "")
        consultant.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
        sign_in(consultant, "consultant@example.com")
        page = consultant.get(f"/organisations/{organisation.id}/brand")
        assert page.status_code == 200 and "Asiakkaan brändi" in page.text
        saved = consultant.post(f"/organisations/{organisation.id}/brand",
                                data={"client_name": "Pohjolan Palvelu"},
                                files={"logo": ("client.png", png(), "image/png")},
                                follow_redirects=False)
        assert saved.status_code == 303
        refused = consultant.post(f"/organisations/{organisation.id}/brand",
                                  data={"client_name": "Muutettu"},
                                  files={"logo": ("x.svg", HOSTILE_SVGS["foreign object"],
                                                  "image/svg+xml")})
        assert refused.status_code == 422 and "SVG-logossa" in refused.text
        assert consultant.get(f"/organisations/{other.id}/brand").status_code == 404
        assert consultant.get("/brand").status_code == 403
    row = db.get(OrganisationBrand, organisation.id)
    assert row is not None and row.client_name == "Pohjolan Palvelu"
    assert row.logo_type == "image/png"


def test_the_projector_and_the_join_page_carry_the_brand(
        client: TestClient, db: Session, anonymous: TestClient, framework: Framework) -> None:
    assert post_brand(client, ("logo.svg", SVG, "image/svg+xml")).status_code == 303
    organisation = make_organisation(db)
    unit = services.create_unit(db, organisation, "Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    assert client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                       data={"dots": "3"}, follow_redirects=False).status_code == 303
    client.post(f"/organisations/{organisation.id}/brand",
                data={"client_name": "Pohjolan Palvelu"},
                files={"logo": ("", b"", "application/octet-stream")})
    workshop = db.exec(select(Workshop)).one()
    wall = soup(client.get(f"/workshops/{workshop.id}/projector"))
    mark = wall.select_one(".brand-mark")
    assert mark is not None
    assert mark.select_one("img")["alt"] == "Kumppani Consulting"
    assert "Pohjolan Palvelu" in mark.get_text()
    assert "--brand-primary: #0b5d3b" in wall.select_one("head style").get_text()
    join = soup(anonymous.get(f"/join?code={workshop.code}"))
    assert join.select_one(".brand-mark img")["alt"] == "Kumppani Consulting"
    assert "Pohjolan Palvelu" not in join.get_text()  # no client is known before joining


def test_decks_download_from_the_report_pages(client: TestClient, db: Session,
                                              framework: Framework) -> None:
    organisation = load_demo(db, framework).organisation
    db.commit()
    round_ = services.list_rounds(db, organisation)[1]
    workshop = db.exec(select(Workshop)).one()
    unit_id = workshop.unit_id
    form = soup(client.get(f"/rounds/{round_.id}/units/{unit_id}/report"))
    link = form.select_one("#unit-deck a[hreflang=fi]")
    assert link is not None and link.has_attr("download")
    deck = client.get(link["href"])
    assert deck.status_code == 200 and deck.headers["content-type"] == PPTX_MEDIA_TYPE
    assert 'filename="unit-report-asiakaspalvelu-' in deck.headers["content-disposition"]
    slides = Presentation(io.BytesIO(deck.content)).slides
    assert len(slides) > 5
    roadmap = soup(client.get(f"/organisations/{organisation.id}/roadmap/report"))
    href = roadmap.select_one("#roadmap-deck a[hreflang=en]")["href"]
    assert client.get(href).headers["content-type"] == PPTX_MEDIA_TYPE
    console = soup(client.get(f"/workshops/{workshop.id}"))
    href = console.select_one("#wrapup-deck a[hreflang=en]")["href"]
    wrapup = client.get(href)
    assert wrapup.status_code == 200 and wrapup.content.startswith(b"PK")
    assert client.get(f"/workshops/{workshop.id}/wrapup.pptx?language=sv").status_code == 422
    exports = db.exec(select(AuditEvent).where(AuditEvent.event == "export")).all()
    assert len(exports) == 3 and all('"format": "pptx"' in e.detail for e in exports)
