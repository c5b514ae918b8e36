"""Who may do what: the one table of access rules, as pure functions.

Resources are named by kind. A decision is ALLOW, FORBIDDEN (403: the viewer knows the thing
exists but may not do this), NOT_FOUND (404: another organisation's data is never confirmed
to exist) or SIGN_IN (the viewer must sign in first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from assessment.models import Role


class Action(StrEnum):
    """What a route does with its resource."""

    read = "read"
    write = "write"


class Decision(StrEnum):
    """The outcome of an access check."""

    allow = "allow"
    forbidden = "forbidden"
    not_found = "not_found"
    sign_in = "sign_in"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: nobody, or a user with their role and led units per organisation."""

    user_id: int | None = None
    is_admin: bool = False
    roles: Mapping[int, Role] = field(default_factory=dict)
    # For unit leads: the units they lead and every unit below them, per organisation.
    units: Mapping[int, frozenset[int]] = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        """Whether a user is signed in."""
        return self.user_id is not None

    def role_in(self, organisation_id: int) -> Role | None:
        """The viewer's role in an organisation (None: not a member)."""
        return self.roles.get(organisation_id)

    def leads(self, organisation_id: int, unit_id: int) -> bool:
        """Whether the unit is one of the viewer's units (or below one)."""
        return unit_id in self.units.get(organisation_id, frozenset())


ANONYMOUS = Viewer()

# Per resource kind and action: the roles inside the organisation that are allowed.
# "unit" means: a unit lead is allowed only for their own units (and sub-units).
_ROLES: dict[tuple[str, Action], frozenset[str]] = {
    ("organisation", Action.read): frozenset({"consultant", "leadership"}),
    ("organisation", Action.write): frozenset({"consultant"}),
    ("members", Action.read): frozenset({"consultant"}),
    ("members", Action.write): frozenset({"consultant"}),
    ("audit", Action.read): frozenset({"consultant"}),
    ("round", Action.read): frozenset({"consultant", "leadership", "unit_lead"}),
    ("unit", Action.read): frozenset({"consultant", "leadership", "unit"}),
    ("unit", Action.write): frozenset({"consultant", "unit"}),
    ("assessment", Action.read): frozenset({"consultant", "leadership", "unit"}),
    ("assessment", Action.write): frozenset({"consultant", "unit"}),
    ("workshop", Action.read): frozenset({"consultant", "leadership"}),
    ("workshop", Action.write): frozenset({"consultant"}),
    # The organisation's rollout roadmap: phases, their units, owners and gates.
    ("roadmap", Action.read): frozenset({"consultant", "leadership"}),
    ("roadmap", Action.write): frozenset({"consultant"}),
    # A unit's plan: its targets, gaps and actions.
    ("plan", Action.read): frozenset({"consultant", "leadership", "unit"}),
    ("plan", Action.write): frozenset({"consultant"}),
    # A unit's PDF report: whoever may read the unit's results may have it built (building
    # one changes no data, so leadership may too).
    ("report", Action.read): frozenset({"consultant", "leadership", "unit"}),
    ("report", Action.write): frozenset({"consultant", "leadership", "unit"}),
    # The organisation's roadmap as a PDF: whoever reads the roadmap may have it built.
    ("roadmap_report", Action.read): frozenset({"consultant", "leadership"}),
    ("roadmap_report", Action.write): frozenset({"consultant", "leadership"}),
    # Spreadsheet downloads: a round's answers and scores, the organisation's actions.
    ("export", Action.read): frozenset({"consultant", "leadership"}),
    # The whole organisation as one JSON file: everything it holds, so consultants only.
    ("full_export", Action.read): frozenset({"consultant"}),
    # The leadership dashboard: every unit by factor, trends and rollout progress.
    ("dashboard", Action.read): frozenset({"consultant", "leadership"}),
    # The dashboard as a PDF (the leadership brief): whoever reads the dashboard may have it
    # built (building one changes no data).
    ("brief", Action.read): frozenset({"consultant", "leadership"}),
    ("brief", Action.write): frozenset({"consultant", "leadership"}),
    # API tokens of the organisation: who may create, list and revoke them. A token reads
    # what leadership reads (read-write: changes actions too), so only consultants hand
    # them out.
    ("api_tokens", Action.read): frozenset({"consultant"}),
    ("api_tokens", Action.write): frozenset({"consultant"}),
    # The client's name and logo on the organisation's deliverables.
    ("brand", Action.read): frozenset({"consultant"}),
    ("brand", Action.write): frozenset({"consultant"}),
}
# Site-wide resources (no organisation).
_SITE: dict[tuple[str, Action], str] = {
    ("public", Action.read): "anyone",
    ("public", Action.write): "anyone",
    # Workshop participants: anyone holding the workshop's join code and participant cookie.
    ("participant", Action.read): "anyone",
    ("participant", Action.write): "anyone",
    ("site", Action.read): "signed_in",
    ("account", Action.read): "signed_in",
    ("account", Action.write): "signed_in",
    ("site", Action.write): "admin",
    ("users", Action.read): "admin",
    ("users", Action.write): "admin",
    # Framework files: every version, and publishing a new one from a file or workbook.
    ("frameworks", Action.read): "admin",
    ("frameworks", Action.write): "admin",
    # The consultancy's brand across the installation.
    ("site_brand", Action.read): "admin",
    ("site_brand", Action.write): "admin",
}


def decide_site(viewer: Viewer, kind: str, action: Action) -> Decision:
    """The decision for a resource that belongs to no organisation."""
    rule = _SITE[(kind, action)]
    if rule == "anyone":
        return Decision.allow
    if not viewer.signed_in:
        return Decision.sign_in
    if rule == "signed_in" or viewer.is_admin:
        return Decision.allow
    return Decision.forbidden


def decide(viewer: Viewer, kind: str, action: Action, organisation_id: int,
           unit_id: int | None = None) -> Decision:
    """The decision for a resource inside an organisation (and, for unit data, a unit)."""
    if not viewer.signed_in:
        return Decision.sign_in
    if viewer.is_admin:
        return Decision.allow
    role = viewer.role_in(organisation_id)
    if role is None:
        return Decision.not_found
    allowed = _ROLES[(kind, action)]
    if role.value in allowed:
        return Decision.allow
    if role is Role.unit_lead and "unit" in allowed and unit_id is not None \
            and viewer.leads(organisation_id, unit_id):
        return Decision.allow
    return Decision.forbidden


def resource_kinds() -> set[str]:
    """Every resource kind that has rules (the route-table test checks routes use these)."""
    return {kind for kind, _ in _ROLES} | {kind for kind, _ in _SITE}
