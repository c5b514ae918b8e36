"""Brands on the deliverables: the consultancy's (installation-wide: name, logo, colours,
contact line, footer) and optionally a client organisation's (its name and logo).

Logos are checked before anything is stored: PNG, JPEG or SVG up to `LOGO_MAX_BYTES`, the
type told by the file's content (not its name). An SVG is parsed with defusedxml (no DTD, no
entity, so no entity expansion) and rebuilt from an allow-list of elements and attributes:
no script, no event handler, no `foreignObject`, no reference outside the file; it is then
rasterised to PNG for the slides. Colours must carry white text at WCAG AA (4.5:1).
"""

from __future__ import annotations

import base64
import io
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from sqlmodel import Session

from assessment.models import OrganisationBrand, SiteBrand, utcnow
from assessment.services import N_, InvalidInput
from assessment.settings import Settings

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 40_000_000  # a PNG or JPEG that would decode larger is refused (a bomb)
LOGO_PNG_WIDTH = 800  # an SVG logo is rasterised this wide for the slides
SVG_MAX_ELEMENTS = 5_000
SVG_MAX_DEPTH = 64  # elements inside elements; a logo needs a few levels
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
DEFAULT_PRIMARY = "#1d4f91"
DEFAULT_ACCENT = "#8a3b12"
SITE_BRAND_ID = 1
TEXT_MAX = 300

LOGO_TOO_LARGE = N_("The logo is larger than 1 MB. Save it smaller and try again.")
LOGO_UNKNOWN = N_("The logo must be a PNG, JPEG or SVG image; this file is none of these.")
LOGO_BROKEN = N_("The logo file could not be read as an image.")
LOGO_TOO_MANY_PIXELS = N_("The logo has too many pixels (at most 40 million).")
SVG_UNSAFE = N_("The SVG logo holds something an image must not: {what}.")
SVG_TOO_COMPLEX = N_("The SVG logo is too complex (at most 5,000 elements).")
COLOUR_FORMAT = N_("Write the colour as #RRGGBB, for example #1D4F91.")
COLOUR_CONTRAST = N_("White text on {colour} has a contrast of {ratio}:1, below the 4.5:1 "
                     "that WCAG AA asks for. Choose a darker colour.")
TEXT_TOO_LONG = N_("Write at most {n} characters.")

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# What a logo may be drawn with: shapes, text, gradients, groups, clips and masks.
SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line",
    "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop",
    "clipPath", "mask"})  # no <use>: a use of a use of a use … draws exponentially
SVG_ATTRIBUTES = frozenset({
    "id", "class", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy",
    "r", "rx", "ry", "d", "points", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray",
    "stroke-miterlimit", "opacity", "transform", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "dominant-baseline", "letter-spacing", "offset",
    "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "fx",
    "fy", "clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits", "maskContentUnits",
    "preserveAspectRatio",
    "version", "dx", "dy", "rotate", "textLength", "lengthAdjust", "visibility", "display",
    "color", "href"})
# An attribute value may refer only to something inside the file: url(#id), never url(x).
_OUTSIDE_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class LogoError(InvalidInput):
    """A logo file that is refused, with the reason for the person who sent it."""


@dataclass(frozen=True)
class Logo:
    """A checked logo: its bytes as stored (a PNG, a JPEG, or a cleaned SVG) and a PNG."""

    data: bytes
    media_type: str  # image/png, image/jpeg or image/svg+xml
    png: bytes

    @property
    def data_uri(self) -> str:
        """The logo as a data: URL (pages and PDFs embed it; nothing is fetched)."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


@dataclass(frozen=True)
class Brand:
    """What a deliverable carries of the consultancy and, optionally, of the client."""

    name: str = ""
    contact: str = ""
    footer: str = ""
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    logo: Logo | None = None
    client_name: str = ""
    client_logo: Logo | None = None

    @property
    def primary_rgb(self) -> tuple[int, int, int]:
        """The primary colour as red, green and blue (0–255)."""
        return hex_rgb(self.primary)

    @property
    def accent_rgb(self) -> tuple[int, int, int]:
        """The accent colour as red, green and blue (0–255)."""
        return hex_rgb(self.accent)


# Colours -----------------------------------------------------------------------------------

def hex_rgb(colour: str) -> tuple[int, int, int]:
    """#RRGGBB as a tuple of three integers."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in hex_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of white text on the colour (1–21)."""
    return 1.05 / (_luminance(colour) + 0.05)


def check_colour(value: str | None, field: str) -> str:
    """A colour as #rrggbb that carries white text at AA; refused with a message otherwise."""
    colour = (value or "").strip()
    if not _HEX.match(colour):
        raise InvalidInput(COLOUR_FORMAT, field=field)
    colour = colour.lower()
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        raise InvalidInput(COLOUR_CONTRAST, field=field, colour=colour.upper(),
                           ratio=f"{int(ratio * 10) / 10:.1f}")
    return colour


# Logos -------------------------------------------------------------------------------------

def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")) and b"<svg" in data[:4096]:
        return "image/svg+xml"
    return None


def check_logo(data: bytes) -> Logo:
    """A logo file checked and ready to store; refused with a `LogoError` otherwise."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(LOGO_TOO_LARGE, field="logo")
    media_type = _sniff(data)
    if media_type is None:
        raise LogoError(LOGO_UNKNOWN, field="logo")
    if media_type == "image/svg+xml":
        clean = clean_svg(data)
        return Logo(clean, media_type, svg_png(clean))
    return Logo(data, media_type, _raster_png(data, media_type))


def _raster_png(data: bytes, media_type: str) -> bytes:
    """Open a PNG or JPEG with its size checked before it is decoded; the PNG for slides is
    the file itself when it is a PNG."""
    from PIL import Image  # Pillow comes with matplotlib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > LOGO_MAX_PIXELS:
                    raise LogoError(LOGO_TOO_MANY_PIXELS, field="logo")
                expected = "PNG" if media_type == "image/png" else "JPEG"
                if image.format != expected:
                    raise LogoError(LOGO_BROKEN, field="logo")
                image.load()
                if media_type == "image/png":
                    return data
                out = io.BytesIO()
                image.convert("RGB").save(out, format="PNG")
                return out.getvalue()
    except LogoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoError(LOGO_TOO_MANY_PIXELS, field="logo") from None
    except Exception:  # Pillow raises many kinds for a broken file
        raise LogoError(LOGO_BROKEN, field="logo") from None


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def clean_svg(data: bytes) -> bytes:
    """The SVG rebuilt from the allow-list; refused when it holds a script, an event handler,
    an element outside the list, an entity or DTD, or a reference outside the file."""
    try:
        root = safe_fromstring(data, forbid_dtd=True, forbid_entities=True,
                               forbid_external=True)
    except DefusedXmlException:
        raise LogoError(SVG_UNSAFE, field="logo", what="a DTD or entity") from None
    except ET.ParseError:
        raise LogoError(LOGO_BROKEN, field="logo") from None
    if _local(root.tag) != (SVG_NS, "svg"):
        raise LogoError(LOGO_UNKNOWN, field="logo")
    if sum(1 for _ in root.iter()) > SVG_MAX_ELEMENTS:
        raise LogoError(SVG_TOO_COMPLEX, field="logo")
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)

    def rebuild(node: ET.Element, depth: int = 0) -> ET.Element:
        if depth > SVG_MAX_DEPTH:
            raise LogoError(SVG_TOO_COMPLEX, field="logo")
        ns, name = _local(node.tag)
        if ns != SVG_NS or name not in SVG_ELEMENTS:
            raise LogoError(SVG_UNSAFE, field="logo", what=f"<{name}>")
        clean = ET.Element(f"{{{SVG_NS}}}{name}")
        for key, value in node.attrib.items():
            clean.set(*_attribute(key, value))
        clean.text, clean.tail = node.text, node.tail
        for child in node:
            clean.append(rebuild(child, depth + 1))
        return clean

    cleaned = rebuild(root)
    _check_shape(cleaned)
    return ET.tostring(cleaned, encoding="utf-8", xml_declaration=True)


def _numbers(value: str | None) -> list[float]:
    try:
        return [float(v) for v in re.split(r"[\s,]+", (value or "").strip()) if v]
    except ValueError:
        return []


def _check_shape(root: ET.Element) -> None:
    """Refuse a drawing whose shape would rasterise to an enormous image (a long thin logo
    drawn 800 px wide would be millions of pixels tall)."""
    box = _numbers(root.get("viewBox"))
    size = box[2:4] if len(box) == 4 else [
        (_numbers(re.sub(r"[a-z%]+$", "", root.get(k) or "")) or [0.0])[0]
        for k in ("width", "height")]
    width, height = size
    if width < 0 or height < 0 or (width and height and not 0.02 <= height / width <= 20):
        raise LogoError(SVG_TOO_COMPLEX, field="logo")


def _attribute(key: str, value: str) -> tuple[str, str]:
    ns, name = _local(key)
    if name.lower().startswith("on"):
        raise LogoError(SVG_UNSAFE, field="logo", what=f"an event handler ({name})")
    if ns not in ("", XLINK_NS) or name not in SVG_ATTRIBUTES:
        raise LogoError(SVG_UNSAFE, field="logo", what=f"the attribute {name}")
    if name == "href" and not value.strip().startswith("#"):
        raise LogoError(SVG_UNSAFE, field="logo", what="a reference outside the file")
    if _OUTSIDE_URL.search(value):
        raise LogoError(SVG_UNSAFE, field="logo", what="a reference outside the file")
    return (f"{{{XLINK_NS}}}href" if ns == XLINK_NS else name), value


def svg_png(clean: bytes) -> bytes:
    """A cleaned SVG rasterised to PNG (for the slides)."""
    import cairosvg

    try:
        png: bytes = cairosvg.svg2png(bytestring=clean, output_width=LOGO_PNG_WIDTH,
                                      unsafe=False)
    except Exception:  # cairosvg raises many kinds for a drawing it cannot make
        raise LogoError(LOGO_BROKEN, field="logo") from None
    return png


# Storage -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BrandDefaults:
    """The brand from the settings: what the installation shows until the page changes it."""

    name: str = ""
    contact: str = ""
    footer: str = ""
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    logo: Logo | None = None


def defaults_from_settings(values: Mapping[str, str | Path | None]) -> BrandDefaults:
    """The settings' brand, checked as the page checks it (a bad one stops start-up)."""
    logo_path = values.get("logo")
    logo = None
    if logo_path:
        path = Path(logo_path)
        try:
            logo = check_logo(path.read_bytes())
        except LogoError as exc:
            raise ValueError(f"brand_logo {path}: {exc}") from None
    colours = {}
    for key in ("primary", "accent"):
        value = values.get(key)
        if value:
            try:
                colours[key] = check_colour(str(value), key)
            except InvalidInput as exc:
                raise ValueError(f"brand_{key}_colour: {exc}") from None
    return BrandDefaults(name=str(values.get("name") or ""),
                         contact=str(values.get("contact") or ""),
                         footer=str(values.get("footer") or ""), logo=logo,
                         primary=colours.get("primary", DEFAULT_PRIMARY),
                         accent=colours.get("accent", DEFAULT_ACCENT))


def defaults_for(settings: Settings) -> BrandDefaults:
    """The brand the settings give (`brand_*`); a bad logo or colour raises ValueError."""
    return defaults_from_settings({
        "name": settings.brand_name, "contact": settings.brand_contact,
        "footer": settings.brand_footer, "logo": settings.brand_logo,
        "primary": settings.brand_primary_colour, "accent": settings.brand_accent_colour})


def _colour(value: str, default: str) -> str:
    """A stored colour, or the default when it is not #rrggbb (it goes into CSS)."""
    return value if value and _HEX.match(value) else default


def _logo(data: bytes | None, media_type: str, png: bytes | None) -> Logo | None:
    return Logo(data, media_type, png or b"") if data and media_type else None


def site_brand(session: Session, defaults: BrandDefaults) -> Brand:
    """The installation's brand: what the brand page set, else the settings."""
    row = session.get(SiteBrand, SITE_BRAND_ID)
    if row is None:
        return Brand(defaults.name, defaults.contact, defaults.footer, defaults.primary,
                     defaults.accent, defaults.logo)
    return Brand(name=row.name or defaults.name, contact=row.contact or defaults.contact,
                 footer=row.footer or defaults.footer,
                 primary=_colour(row.primary_colour, defaults.primary),
                 accent=_colour(row.accent_colour, defaults.accent),
                 logo=_logo(row.logo, row.logo_type, row.logo_png) or defaults.logo)


def organisation_brand(session: Session, defaults: BrandDefaults,
                       organisation_id: int | None) -> Brand:
    """The installation's brand with the client organisation's name and logo, if it has one."""
    brand = site_brand(session, defaults)
    row = session.get(OrganisationBrand, organisation_id) if organisation_id else None
    if row is None:
        return brand
    return replace(brand, client_name=row.client_name,
                   client_logo=_logo(row.logo, row.logo_type, row.logo_png))


def _text(value: str | None, field: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput(TEXT_TOO_LONG, field=field, n=limit)
    return text


@dataclass(frozen=True)
class SiteBrandInput:
    """What the brand page sends: texts, colours, maybe a new logo, maybe a removal."""

    name: str | None
    contact: str | None
    footer: str | None
    primary: str | None
    accent: str | None
    logo: bytes | None = None  # None or empty: keep the logo
    remove_logo: bool = False


def save_site_brand(session: Session, values: SiteBrandInput) -> SiteBrand:
    """Check everything first, then store the installation's brand (all or nothing)."""
    name = _text(values.name, "name", 200)
    contact = _text(values.contact, "contact", TEXT_MAX)
    footer = _text(values.footer, "footer", TEXT_MAX)
    primary = check_colour(values.primary, "primary")
    accent = check_colour(values.accent, "accent")
    logo = check_logo(values.logo) if values.logo else None
    row = session.get(SiteBrand, SITE_BRAND_ID) or SiteBrand(id=SITE_BRAND_ID)
    row.name, row.contact, row.footer = name, contact, footer
    row.primary_colour, row.accent_colour = primary, accent
    if logo is not None:
        row.logo, row.logo_type, row.logo_png = logo.data, logo.media_type, logo.png
    elif values.remove_logo:
        row.logo, row.logo_type, row.logo_png = None, "", None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def save_organisation_brand(session: Session, organisation_id: int, client_name: str | None,
                            logo_data: bytes | None, *, remove_logo: bool = False,
                            ) -> OrganisationBrand:
    """Check, then store a client organisation's name and logo on its deliverables."""
    name = _text(client_name, "client_name", 200)
    logo = check_logo(logo_data) if logo_data else None
    row = session.get(OrganisationBrand, organisation_id) or OrganisationBrand(
        organisation_id=organisation_id)
    row.client_name = name
    if logo is not None:
        row.logo, row.logo_type, row.logo_png = logo.data, logo.media_type, logo.png
    elif remove_logo:
        row.logo, row.logo_type, row.logo_png = None, "", None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row
