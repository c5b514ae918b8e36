"""Database tables (SQLModel). Alembic migrations in `assessment/migrations` mirror these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

# Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

NAME_MAX = 200
NOTE_MAX = 4000


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (as SQLModel stores datetimes)."""
    return datetime.now(UTC)


def id_of(row: SQLModel) -> int:
    """The primary key of a row that has been flushed to the database."""
    ident = getattr(row, "id", None)
    if ident is None:
        raise ValueError(f"{type(row).__name__} has not been stored yet")
    return int(ident)


class AssessmentKind(StrEnum):
    """How an assessment was made."""

    self = "self"
    workshop = "workshop"
    # The pre-workshop survey: only its respondents' answers, never scored as the unit's own.
    survey = "survey"


class AssessmentStatus(StrEnum):
    """Draft assessments take answers; submitted ones are locked until reopened."""

    draft = "draft"
    submitted = "submitted"


class Choice(StrEnum):
    """What an answer says: a stage level, or that the respondent cannot or need not say."""

    level = "level"
    dont_know = "dont_know"
    not_applicable = "not_applicable"


class Organisation(SQLModel, table=True):
    """A client organisation."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX)
    created_at: datetime = Field(default_factory=utcnow)
    # The framework (id) its roadmap, gates and targets speak; None: the framework of its
    # newest round, or the default framework (`assessment.org_frameworks`).
    roadmap_framework_id: str | None = Field(default=None, max_length=64)


class Unit(SQLModel, table=True):
    """A unit of an organisation; units form a tree through `parent_id`."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    name: str = Field(max_length=NAME_MAX)
    created_at: datetime = Field(default_factory=utcnow)


class FrameworkVersion(SQLModel, table=True):
    """An exact framework content that rounds are pinned to (snapshot plus its hash)."""

    __tablename__ = "framework_version"

    id: int | None = Field(default=None, primary_key=True)
    framework_id: str = Field(max_length=64, index=True)
    version: str = Field(max_length=40)
    content_hash: str = Field(max_length=64, unique=True)
    snapshot: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Round(SQLModel, table=True):
    """An assessment round of an organisation ("Spring 2026"), pinned to a framework version."""

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    framework_version_id: int = Field(foreign_key="framework_version.id", index=True)
    name: str = Field(max_length=NAME_MAX)
    created_at: datetime = Field(default_factory=utcnow)


class Assessment(SQLModel, table=True):
    """One unit's scoring in one round, made by self-assessment or in a workshop."""

    __table_args__ = (UniqueConstraint("round_id", "unit_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    kind: AssessmentKind = Field(default=AssessmentKind.self, sa_type=String(16))
    status: AssessmentStatus = Field(default=AssessmentStatus.draft, sa_type=String(16))
    submitted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Respondent(SQLModel, table=True):
    """A person whose answers to an assessment are kept separately (a workshop participant)."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    nickname: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """An answer to one question: the assessment's own (respondent NULL) or a respondent's.

    `choice` is NULL while only a note has been written."""

    __table_args__ = (
        CheckConstraint(
            "(choice = 'level' AND level IS NOT NULL AND level >= 0) "
            "OR (choice IN ('dont_know', 'not_applicable') AND level IS NULL) "
            "OR (choice IS NULL AND level IS NULL)",
            name="level_matches_choice",
        ),
        # One answer per question for the assessment itself, and one per respondent.
        Index("uq_answer_own", "assessment_id", "question_id", unique=True,
              sqlite_where=text("respondent_id IS NULL"),
              postgresql_where=text("respondent_id IS NULL")),
        Index("uq_answer_respondent", "assessment_id", "respondent_id", "question_id",
              unique=True, sqlite_where=text("respondent_id IS NOT NULL"),
              postgresql_where=text("respondent_id IS NOT NULL")),
        # Only respondents' answers: without statistics SQLite would otherwise look up an
        # assessment's own answers (respondent NULL) through this index, that is through
        # every own answer in the database, instead of through uq_answer_own.
        Index("ix_answer_respondent_id", "respondent_id",
              sqlite_where=text("respondent_id IS NOT NULL"),
              postgresql_where=text("respondent_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    respondent_id: int | None = Field(default=None, foreign_key="respondent.id")
    question_id: str = Field(max_length=64)
    choice: Choice | None = Field(default=None, sa_type=String(16))
    level: int | None = None
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class Role(StrEnum):
    """A user's role in one organisation."""

    consultant = "consultant"
    leadership = "leadership"
    unit_lead = "unit_lead"


class User(SQLModel, table=True):
    """A person who signs in. Administrators manage consultants and organisations."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=NAME_MAX)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    # Bumped on password change: every session cookie issued before it stops working.
    session_version: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A signed-in browser: its cookie names this row, and signing out deletes it, so a copy
    of the cookie stops working too. The id is a SHA-256 of the cookie's random part."""

    __tablename__ = "user_session"

    id: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class Membership(SQLModel, table=True):
    """A user's role in an organisation."""

    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)


class MembershipUnit(SQLModel, table=True):
    """A unit a unit lead leads (the lead also sees its sub-units)."""

    __tablename__ = "membership_unit"

    membership_id: int = Field(foreign_key="membership.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)


class Invitation(SQLModel, table=True):
    """A one-time link that lets a new user set a password and join an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=String(16))
    email: str = Field(max_length=254)
    name: str = Field(max_length=NAME_MAX)
    invited_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class InvitationUnit(SQLModel, table=True):
    """A unit an invited unit lead will lead."""

    __tablename__ = "invitation_unit"

    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class SignInAttempt(SQLModel, table=True):
    """A sign-in attempt, kept for throttling (per account and per address)."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_email_at", "email", "created_at"),
                      Index("ix_sign_in_attempt_address_at", "address", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    succeeded: bool
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """A sensitive event: sign-ins, role changes, invitations, submits, exports."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    event: str = Field(max_length=40)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    address: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class WorkshopStatus(StrEnum):
    """Open workshops take participants and votes; closed ones are read-only."""

    open = "open"
    closed = "closed"


class Workshop(SQLModel, table=True):
    """A live workshop for a unit in a round; its agenda comes from the round's framework."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    code: str = Field(max_length=12, unique=True)
    status: WorkshopStatus = Field(default=WorkshopStatus.open, sa_type=String(16))
    step_index: int = 0
    # Bumped on every change participants must see; their polls compare it.
    version: int = 0
    dots_per_participant: int = 3
    # The target step of each factor right after its questions, or all of them at the end.
    targets_per_factor: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    # Focus mode: the question ids (comma-separated) that the pre-survey agreed on when the
    # workshop started; their steps give way to one confirmation step per factor.
    focus_skip: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                         server_default=""))
    # The discussion prompt on the projector (see `assessment.prompts`), or NULL.
    prompt: str | None = Field(default=None, max_length=200)
    # The agenda (JSON of `assessment.agendas.Plan`): its items with their timeboxes and the
    # template's notes; None for a workshop made before agenda templates (the default plan).
    plan: str | None = Field(default=None, sa_type=Text)
    # The timer of the current agenda item: running until `timer_ends_at`, or paused with
    # `timer_left` seconds left; neither: not started (it shows the whole timebox).
    timer_ends_at: datetime | None = None
    timer_left: int | None = None
    # Time actually spent per agenda item (JSON: item key -> seconds), and since when the
    # workshop has been on the current item.
    item_seconds: str | None = Field(default=None, sa_type=Text)
    item_started_at: datetime | None = None


class Participant(SQLModel, table=True):
    """Someone who joined a workshop with its code; no account. Votes go through `respondent`."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    respondent_id: int = Field(foreign_key="respondent.id")
    token_hash: str = Field(max_length=64, unique=True)
    nickname: str | None = Field(default=None, max_length=40)
    joined_at: datetime = Field(default_factory=utcnow)
    # Set when the facilitator removes the seat: its votes are deleted, its cookie stops
    # working, and it no longer counts as a participant.
    removed_at: datetime | None = None


class WorkshopJoin(SQLModel, table=True):
    """A join of a workshop from a client address, kept to limit joins per address and time.

    Not linked to the participant it made: no page or export ties an address to a seat."""

    __tablename__ = "workshop_join"
    __table_args__ = (Index("ix_workshop_join_address_at", "workshop_id", "address",
                            "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id")
    address: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class WorkshopQuestion(SQLModel, table=True):
    """Whether a question's votes have been revealed in a workshop."""

    __tablename__ = "workshop_question"

    workshop_id: int = Field(foreign_key="workshop.id", primary_key=True)
    question_id: str = Field(max_length=64, primary_key=True)
    revealed: bool = False


class Need(SQLModel, table=True):
    """A need, expectation or concern posted in a workshop; merged notes point to a group."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    text: str = Field(max_length=500)
    factor_id: str | None = Field(default=None, max_length=64)
    merged_into: int | None = Field(default=None, foreign_key="need.id")
    created_at: datetime = Field(default_factory=utcnow)


class NeedDot(SQLModel, table=True):
    """One dot a participant placed on a need."""

    __tablename__ = "need_dot"

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class TargetVote(SQLModel, table=True):
    """A participant's vote for a factor's target stage."""

    __tablename__ = "target_vote"
    __table_args__ = (UniqueConstraint("workshop_id", "participant_id", "factor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id")
    factor_id: str = Field(max_length=64)
    level: int


class Target(SQLModel, table=True):
    """A unit's target stage for a factor in a round (agreed in a workshop or set by hand)."""

    __table_args__ = (UniqueConstraint("round_id", "unit_id", "factor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    factor_id: str = Field(max_length=64)
    level: int
    source: str = Field(default="workshop", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)


# Roadmap: phases of the staged rollout, and actions per unit ---------------------------

class PhaseKind(StrEnum):
    """Phase 0 records needs and expectations; a pilot comes next, then waves of units."""

    needs = "needs"
    pilot = "pilot"
    wave = "wave"


class ActionStatus(StrEnum):
    """Where an action stands."""

    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class Phase(SQLModel, table=True):
    """One phase of an organisation's rollout roadmap, in order by `position`."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    position: int = 0
    kind: PhaseKind = Field(default=PhaseKind.wave, sa_type=String(16))
    name: str = Field(max_length=NAME_MAX)
    starts_on: date | None = None
    ends_on: date | None = None
    # The factor ids the phase concentrates on, comma-separated in framework order.
    focus: str = Field(default="", max_length=1000)
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class PhaseUnit(SQLModel, table=True):
    """A unit's place in the rollout: a unit sits in one phase."""

    id: int | None = Field(default=None, primary_key=True)
    phase_id: int = Field(foreign_key="phase.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", unique=True)
    position: int = 0


class PhaseOwner(SQLModel, table=True):
    """A named person and their role in a phase: commitment made visible."""

    id: int | None = Field(default=None, primary_key=True)
    phase_id: int = Field(foreign_key="phase.id", index=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=120)
    position: int = 0


class Gate(SQLModel, table=True):
    """A criterion that must hold before the next phase: every unit of the phase reaches
    `level` on `factor_id` (for example the pilot reaches *planned* on listening)."""

    __table_args__ = (UniqueConstraint("phase_id", "factor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    phase_id: int = Field(foreign_key="phase.id", index=True)
    factor_id: str = Field(max_length=64)
    level: int


class Action(SQLModel, table=True):
    """Something a unit does to move a factor up a stage, with an owner, a due date and a
    status. `library_id` names the framework action it came from (NULL when written here);
    such an action shows the framework's text in the reader's language until it is edited."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    factor_id: str = Field(max_length=64)
    from_level: int | None = None
    library_id: str | None = Field(default=None, max_length=64)
    text: str = Field(default="", max_length=1000)
    owner: str = Field(default="", max_length=120)
    due_on: date | None = None
    status: ActionStatus = Field(default=ActionStatus.planned, sa_type=String(16))
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# Report jobs: PDFs built in the background while the page shows progress -----------------

class ReportJobStatus(StrEnum):
    """Where a report job stands."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReportJob(SQLModel, table=True):
    """A report being built (or built) for a user: its progress and, when done, the PDF.

    The state is in the database, so any app process can answer the progress polls."""

    __tablename__ = "report_job"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(default="unit", max_length=16)
    # A unit report is of one round; an organisation's roadmap report spans them all (None).
    round_id: int | None = Field(default=None, foreign_key="round.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    # A facilitator guide is of one workshop, and prints its join page's address as the
    # phones reach it (known to the request that asked, not to the background job).
    workshop_id: int | None = Field(default=None, foreign_key="workshop.id")
    join_base: str | None = Field(default=None, max_length=500)
    language: str = Field(max_length=8)
    status: ReportJobStatus = Field(default=ReportJobStatus.queued, sa_type=String(16))
    progress: int = 0
    # An English msgid, translated when shown: the step the job is on, or why it failed.
    message: str = Field(default="", max_length=200)
    filename: str = Field(default="", max_length=200)
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None


# API tokens: for BI tools and other systems reading (or syncing actions) over /api/v1 -------

class TokenScope(StrEnum):
    """What an API token may do in its organisation."""

    read = "read"
    read_write = "read_write"


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API, scoped to one organisation, read or read-write, with
    an expiry. Only a SHA-256 of the secret is stored: the secret is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=120)
    # The secret's first characters, to tell tokens apart on the page and in the log.
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    scope: TokenScope = Field(default=TokenScope.read, sa_type=String(16))
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="app_user.id")


class ApiTokenUse(SQLModel, table=True):
    """One request made with an API token: its audit trail, and what its throttle counts."""

    __tablename__ = "api_token_use"
    __table_args__ = (Index("ix_api_token_use_token_at", "token_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id")
    method: str = Field(max_length=8)
    path: str = Field(max_length=300)
    address: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# The pre-workshop survey: the unit's people answer from their phones before the workshop ---

class SurveyStatus(StrEnum):
    """An open survey takes answers; a closed one keeps them."""

    open = "open"
    closed = "closed"


class Survey(SQLModel, table=True):
    """A unit's pre-workshop survey in a round. Its answers are respondents' answers of the
    unit's assessment of kind `survey`, never mixed with the self-assessment or the workshop."""

    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    code: str = Field(max_length=32, unique=True)
    status: SurveyStatus = Field(default=SurveyStatus.open, sa_type=String(16))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class SurveyRespondent(SQLModel, table=True):
    """Someone answering a survey; no account. The browser keeps a random token in a cookie
    (only its SHA-256 is stored), so they can come back and change their answers."""

    __tablename__ = "survey_respondent"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    respondent_id: int = Field(foreign_key="respondent.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class SurveyStart(SQLModel, table=True):
    """A new respondent of a survey from a client address, kept to limit them per address
    and time (like workshop joins). Not linked to the respondent it made."""

    __tablename__ = "survey_start"
    __table_args__ = (Index("ix_survey_start_address_at", "survey_id", "address",
                            "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    address: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
# Brands: the consultancy's (installation-wide) and a client organisation's -----------------

class SiteBrand(SQLModel, table=True):
    """The installation's brand, set on the administrator's brand page (one row, id 1).

    An empty field falls back to the `brand_*` settings (see `assessment.brand`)."""

    __tablename__ = "site_brand"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=NAME_MAX)
    contact: str = Field(default="", max_length=300)
    footer: str = Field(default="", max_length=300)
    primary_colour: str = Field(default="", max_length=7)
    accent_colour: str = Field(default="", max_length=7)
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    logo_type: str = Field(default="", max_length=32)
    # The logo as PNG, for the slides (PowerPoint files take no SVG from python-pptx).
    logo_png: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class OrganisationBrand(SQLModel, table=True):
    """A client organisation's own name and logo on its deliverables."""

    __tablename__ = "organisation_brand"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    client_name: str = Field(default="", max_length=NAME_MAX)
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    logo_type: str = Field(default="", max_length=32)
    logo_png: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)
