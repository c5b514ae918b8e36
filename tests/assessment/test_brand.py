"""Brands: logos are checked by their content (bad files refused with a message, nothing
stored), SVG is rebuilt from an allow-list, colours must carry white text at WCAG AA."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session

from assessment import brand
from assessment.brand import BrandDefaults, LogoError, SiteBrandInput, check_logo
from assessment.models import SiteBrand
from assessment.services import InvalidInput
from tests.factories import make_organisation


def png(width: int = 40, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (11, 93, 59)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (156, 61, 0)).save(out, format="JPEG")
    return out.getvalue()


def png_bomb() -> bytes:
    """A small PNG whose header claims 100,000 by 100,000 pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = (100_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
       b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 120 40">'
       b'<defs><linearGradient id="g"><stop offset="0" stop-color="#0b5d3b"/></linearGradient>'
       b'</defs><rect width="40" height="40" fill="url(#g)"/>'
       b'<text x="50" y="28" font-size="20">Logo</text></svg>')
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                  b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                  b'<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>')
HOSTILE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "external image": (b'<svg xmlns="http://www.w3.org/2000/svg" '
                       b'xmlns:xlink="http://www.w3.org/1999/xlink"><image '
                       b'xlink:href="https://example.com/x.png"/></svg>'),
    "external use": (b'<svg xmlns="http://www.w3.org/2000/svg"><use '
                     b'href="https://example.com/s.svg#a"/></svg>'),
    "external fill": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1" '
                      b'fill="url(https://example.com/p.svg#p)"/></svg>'),
    "style element": (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import '
                      b'url(https://example.com/a.css);</style></svg>'),
    "foreign object": (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject>'
                       b'<p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject></svg>'),
    "gradient pointing out": (b'<svg xmlns="http://www.w3.org/2000/svg" '
                              b'xmlns:xlink="http://www.w3.org/1999/xlink"><linearGradient '
                              b'id="g" xlink:href="file:///etc/passwd"/></svg>'),
    "entity bomb": BILLION_LAUGHS,
    "external entity": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM '
                        b'"file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">'
                        b'<text>&x;</text></svg>'),
    "a sliver to rasterise": (b'<svg xmlns="http://www.w3.org/2000/svg" '
                              b'viewBox="0 0 1 100000"><rect width="1" height="1"/></svg>'),
    "too many elements": (b'<svg xmlns="http://www.w3.org/2000/svg">'
                          + b'<rect/>' * 6000 + b'</svg>'),
    "nested too deep": (b'<svg xmlns="http://www.w3.org/2000/svg">'
                        + b'<g>' * 100 + b'</g>' * 100 + b'</svg>'),
}


def test_png_jpeg_and_svg_logos_are_taken() -> None:
    taken = check_logo(png())
    assert taken.media_type == "image/png" and taken.png == taken.data
    photo = check_logo(jpeg())
    assert photo.media_type == "image/jpeg" and photo.png.startswith(b"\x89PNG")
    drawing = check_logo(SVG)
    assert drawing.media_type == "image/svg+xml"
    assert b"linearGradient" in drawing.data and b"url(#g)" in drawing.data
    assert drawing.png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(drawing.png)).width == brand.LOGO_PNG_WIDTH
    assert drawing.data_uri.startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_a_hostile_svg_is_refused_with_a_message(name: str) -> None:
    with pytest.raises(LogoError) as refused:
        check_logo(HOSTILE_SVGS[name])
    assert refused.value.field == "logo"
    assert refused.value.message in (brand.SVG_UNSAFE, brand.SVG_TOO_COMPLEX)


@pytest.mark.parametrize(("data", "message"), [
    (png() + b"\0" * (30 * 1024 * 1024), brand.LOGO_TOO_LARGE),  # a 30 MB PNG
    (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", brand.LOGO_UNKNOWN),  # a PDF named logo.png
    (b"GIF89a" + b"\0" * 100, brand.LOGO_UNKNOWN),
    (png_bomb(), brand.LOGO_TOO_MANY_PIXELS),
    (png()[:40], brand.LOGO_BROKEN),  # cut short
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect", brand.LOGO_BROKEN),
])
def test_a_bad_logo_file_is_refused_with_a_message(data: bytes, message: str) -> None:
    with pytest.raises(LogoError) as refused:
        check_logo(data)
    assert refused.value.message == message


@pytest.mark.parametrize(("colour", "ok"), [
    ("#1d4f91", True), ("#0B5D3B", True), ("#000000", True), ("#767676", True),
    ("#777777", False), ("#ffffff", False), ("#ffb000", False), ("#00ff00", False),
])
def test_colours_must_carry_white_text_at_aa(colour: str, ok: bool) -> None:
    if ok:
        assert brand.check_colour(colour, "primary") == colour.lower()
        assert brand.contrast_with_white(colour) >= 4.5
    else:
        with pytest.raises(InvalidInput) as refused:
            brand.check_colour(colour, "primary")
        assert refused.value.message == brand.COLOUR_CONTRAST
        assert float(refused.value.params["ratio"]) < 4.5


@pytest.mark.parametrize("colour", ["1d4f91", "#1d4f9", "#1d4f91;}", "red", "", None])
def test_a_colour_not_written_as_hex_is_refused(colour: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        brand.check_colour(colour, "accent")
    assert refused.value.message == brand.COLOUR_FORMAT and refused.value.field == "accent"


def good_input(**changes: object) -> SiteBrandInput:
    values: dict[str, object] = {"name": "Kumppani", "contact": "kalle@example.com",
                                 "footer": "Luottamuksellinen", "primary": "#0b5d3b",
                                 "accent": "#9c3d00", "logo": png()}
    values.update(changes)
    return SiteBrandInput(**values)  # type: ignore[arg-type]


def test_the_site_brand_is_stored_and_overrides_the_settings(session: Session) -> None:
    defaults = BrandDefaults(name="From settings", footer="Settings footer")
    assert brand.site_brand(session, defaults).name == "From settings"
    brand.save_site_brand(session, good_input(footer=""))
    session.commit()
    stored = brand.site_brand(session, defaults)
    assert (stored.name, stored.footer, stored.primary, stored.accent) == (
        "Kumppani", "Settings footer", "#0b5d3b", "#9c3d00")
    assert stored.logo is not None and stored.logo.media_type == "image/png"


@pytest.mark.parametrize("bad", [
    {"logo": HOSTILE_SVGS["script"]}, {"primary": "#ffff00"}, {"accent": "blue"},
    {"footer": "x" * 301}])
def test_a_refused_brand_changes_nothing(session: Session, bad: dict[str, object]) -> None:
    brand.save_site_brand(session, good_input())
    session.commit()
    before = session.get(SiteBrand, brand.SITE_BRAND_ID)
    assert before is not None
    snapshot = (before.name, before.primary_colour, before.logo, before.updated_at)
    with pytest.raises(InvalidInput):
        brand.save_site_brand(session, good_input(name="Changed", **bad))
    session.rollback()
    after = session.get(SiteBrand, brand.SITE_BRAND_ID)
    assert after is not None
    assert (after.name, after.primary_colour, after.logo, after.updated_at) == snapshot


def test_a_client_brand_joins_the_installations(session: Session) -> None:
    organisation = make_organisation(session)
    other = make_organisation(session, name="Toinen Oy")
    brand.save_site_brand(session, good_input())
    brand.save_organisation_brand(session, organisation.id or 0, "Pohjolan Palvelu", SVG)
    session.commit()
    client = brand.organisation_brand(session, BrandDefaults(), organisation.id)
    assert client.name == "Kumppani" and client.client_name == "Pohjolan Palvelu"
    assert client.client_logo is not None and client.client_logo.media_type == "image/svg+xml"
    assert brand.organisation_brand(session, BrandDefaults(), other.id).client_name == ""
    brand.save_organisation_brand(session, organisation.id or 0, "Pohjolan Palvelu", None,
                                  remove_logo=True)
    session.commit()
    assert brand.organisation_brand(session, BrandDefaults(), organisation.id).client_logo \
        is None


def test_the_settings_brand_is_checked_at_start_up(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    defaults = brand.defaults_from_settings({"name": "Kumppani", "logo": logo,
                                             "primary": "#0B5D3B"})
    assert defaults.logo is not None and defaults.primary == "#0b5d3b"
    logo.write_bytes(HOSTILE_SVGS["script"])
    with pytest.raises(ValueError, match="brand_logo"):
        brand.defaults_from_settings({"logo": logo})
    with pytest.raises(ValueError, match="brand_accent_colour"):
        brand.defaults_from_settings({"accent": "#ffff00"})
