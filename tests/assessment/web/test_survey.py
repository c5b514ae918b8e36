"""The pre-workshop survey over HTTP, focus workshops and discussion prompts, on SQLite and
PostgreSQL: the consultant's page, respondents' phones, and every refusal storing nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from assessment import services, survey, workshops
from assessment.framework import Framework
from assessment.models import (
    Answer,
    Assessment,
    AssessmentKind,
    Respondent,
    Round,
    Survey,
    SurveyRespondent,
    Unit,
    Workshop,
)
from assessment.web.app import create_app
from assessment.workshops import StepKind
from tests.conftest import csrf_headers, make_settings, set_cookie
from tests.factories import make_organisation, make_unit


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def setup_round(db: Session, framework: Framework) -> tuple[Round, Unit]:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    return round_, unit


def open_survey(client: TestClient, db: Session, round_: Round, unit: Unit) -> Survey:
    response = client.post(f"/rounds/{round_.id}/units/{unit.id}/survey", follow_redirects=False)
    assert response.status_code == 303, response.text
    item = db.exec(select(Survey)).one()
    assert response.headers["location"] == f"/surveys/{item.id}"
    return item


def phone(app: FastAPI) -> TestClient:
    client = TestClient(app, headers={"Accept-Language": "en"})
    csrf_headers(app, client)
    return client


def answer(client: TestClient, item: Survey, factor: str, choices: dict[str, str]):  # type: ignore[no-untyped-def]
    data = {"factor": factor, **{f"q-{qid}": choice for qid, choice in choices.items()}}
    return client.post(f"/s/{item.code}", data=data, follow_redirects=False)


def stored(db: Session) -> tuple[int, int]:
    """How many survey respondents and answers there are."""
    db.expire_all()
    respondents = db.exec(select(func.count()).select_from(SurveyRespondent)).one()
    answers = db.exec(select(func.count()).select_from(Answer)).one()
    return respondents, answers


def test_a_phone_answers_and_changes_its_answers(app: FastAPI, client: TestClient, db: Session,
                                                 framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    own = services.get_or_create_assessment(db, round_, unit)  # the self-assessment
    db.commit()
    item = open_survey(client, db, round_, unit)
    page = client.get(f"/surveys/{item.id}")
    assert f"/s/{item.code}" in page.text and "0 people have answered" in text_of(page)
    first = framework.factors[0]
    mobile = phone(app)
    form = mobile.get(f"/s/{item.code}")
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(form.text, "html.parser")
    assert next(i["name"] for i in soup.select("#survey-form fieldset input")) == \
        f"q-{first.questions[0].id}"
    assert stored(db) == (0, 0)  # nothing is stored before the first answer
    sent = answer(mobile, item, first.id, {first.questions[0].id: "2",
                                           first.questions[1].id: "dont_know"})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/s/{item.code}?factor={framework.factors[1].id}"
    assert f"sr{item.id}" in mobile.cookies
    # Back again on the same phone: the answers are there, and a change replaces them.
    again = BeautifulSoup(mobile.get(f"/s/{item.code}?factor={first.id}").text, "html.parser")
    assert again.select_one(f"#s-{first.questions[0].id}-2").has_attr("checked")
    answer(mobile, item, first.id, {first.questions[0].id: "3", first.questions[1].id: ""})
    db.expire_all()
    rows = db.exec(select(Answer)).all()
    assert [(a.question_id, a.level) for a in rows] == [(first.questions[0].id, 3)]
    kinds = {a.kind for a in db.exec(select(Assessment))}
    assert kinds == {AssessmentKind.self, AssessmentKind.survey}
    assert all(a.respondent_id is not None and a.assessment_id != own.id for a in rows)
    assert services.own_answers(db, own) == {}  # never mixed with the self-assessment
    last = framework.factors[-1]
    finish = answer(mobile, item, last.id, {last.questions[0].id: "4"})
    assert finish.headers["location"] == f"/s/{item.code}?done=1"
    assert "Your answers are saved" in text_of(mobile.get(finish.headers["location"]))
    assert "1 person has answered" in text_of(client.get(f"/surveys/{item.id}"))
    # The survey's assessment has no pages of its own.
    assert client.get(f"/assessments/{item.assessment_id}").status_code == 404


def test_a_closed_survey_takes_no_answers(app: FastAPI, client: TestClient, db: Session,
                                          framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    item = open_survey(client, db, round_, unit)
    mobile = phone(app)
    q = framework.factors[0].questions[0].id
    assert answer(mobile, item, framework.factors[0].id, {q: "2"}).status_code == 303
    assert client.post(f"/surveys/{item.id}/close", follow_redirects=False).status_code == 303
    before = stored(db)
    refused = answer(mobile, item, framework.factors[0].id, {q: "5"})
    assert refused.status_code == 409
    assert "This survey has closed" in text_of(refused)
    late = answer(phone(app), item, framework.factors[0].id, {q: "5"})
    assert late.status_code == 409
    assert stored(db) == before
    db.expire_all()
    assert db.exec(select(Answer.level)).all() == [2]
    assert "This survey has closed" in text_of(mobile.get(f"/s/{item.code}"))
    # Reopened from the workshop console, it takes answers again; a `next` off the site is
    # not followed.
    client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops")
    workshop = db.exec(select(Workshop)).one()
    console = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    assert console.select_one("#survey-line form")["action"] == f"/surveys/{item.id}/open"
    back = client.post(f"/surveys/{item.id}/open", data={"next": f"/workshops/{workshop.id}"},
                       follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/workshops/{workshop.id}"
    assert answer(mobile, item, framework.factors[0].id, {q: "5"}).status_code == 303
    away = client.post(f"/surveys/{item.id}/close", data={"next": "//evil.example/"},
                       follow_redirects=False)
    assert away.headers["location"] == f"/surveys/{item.id}"


def test_an_unknown_question_or_choice_stores_nothing(app: FastAPI, client: TestClient,
                                                      db: Session, framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    item = open_survey(client, db, round_, unit)
    mobile = phone(app)
    q = framework.factors[0].questions[0].id
    unknown = answer(mobile, item, framework.factors[0].id, {q: "2", "no-such-question": "3"})
    assert unknown.status_code == 422
    assert "not part of the assessment's framework" in text_of(unknown)
    bad_level = answer(mobile, item, framework.factors[0].id, {q: "9"})
    assert bad_level.status_code == 422 and "Choose one of the stages" in text_of(bad_level)
    assert stored(db) == (0, 0) and f"sr{item.id}" not in mobile.cookies
    assert db.exec(select(func.count()).select_from(Respondent)).one() == 0


def test_no_survey_for_another_organisations_unit(app: FastAPI, client: TestClient, db: Session,
                                                  framework: Framework) -> None:
    round_, _unit = setup_round(db, framework)
    other = make_unit(db, organisation=make_organisation(db, name="Toinen Oy"), name="Myynti")
    db.commit()
    refused = client.post(f"/rounds/{round_.id}/units/{other.id}/survey", follow_redirects=False)
    assert refused.status_code == 404
    assert db.exec(select(func.count()).select_from(Survey)).one() == 0
    assert phone(app).get("/s/not-a-survey-code").status_code == 404
    assert answer(phone(app), Survey(code="not-a-survey-code"), "goals", {}).status_code == 404


def test_a_forged_respondent_cookie_stores_nothing(app: FastAPI, client: TestClient,
                                                   db: Session, framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    item = open_survey(client, db, round_, unit)
    other_unit = make_unit(db, organisation=db.get(services.Organisation, round_.organisation_id),
                           name="Myynti")
    db.commit()
    other = open_survey_for(client, db, round_, other_unit)
    q = framework.factors[0].questions[0].id
    genuine = phone(app)
    assert answer(genuine, item, framework.factors[0].id, {q: "2"}).status_code == 303
    before = stored(db)
    forged = phone(app)
    set_cookie(forged, f"sr{item.id}", "made-up-token")
    refused = answer(forged, item, framework.factors[0].id, {q: "5"})
    assert refused.status_code == 400 and "does not belong to this survey" in text_of(refused)
    # Another survey's genuine key is not this survey's either.
    borrowed = phone(app)
    set_cookie(borrowed, f"sr{other.id}", genuine.cookies[f"sr{item.id}"])
    refused = answer(borrowed, other, framework.factors[0].id, {q: "5"})
    assert refused.status_code == 400
    assert stored(db) == before
    assert 'sr' in refused.headers.get("set-cookie", "")  # the forged key is cleared


def open_survey_for(client: TestClient, db: Session, round_: Round, unit: Unit) -> Survey:
    response = client.post(f"/rounds/{round_.id}/units/{unit.id}/survey", follow_redirects=False)
    assert response.status_code == 303
    return db.exec(select(Survey).where(Survey.unit_id == unit.id)).one()


@pytest.fixture
def strict_app(database_url: str) -> Iterator[FastAPI]:
    """The app with a small limit of new respondents per address."""
    from assessment.models import metadata
    app = create_app(make_settings(database_url, workshop_joins_per_address=2))
    metadata.create_all(app.state.engine)
    yield app
    app.state.engine.dispose()


def test_survey_flooding_is_throttled(strict_app: FastAPI, framework: Framework) -> None:
    with Session(strict_app.state.engine, expire_on_commit=False) as db:
        round_, unit = setup_round(db, framework)
        item = survey.open_survey(db, round_, unit, by=None)
        db.commit()
        q = framework.factors[0].questions[0].id
        first = phone(strict_app)
        for _ in range(2):  # a cleared cookie starts another respondent, up to the limit
            first.cookies.clear()
            csrf_headers(strict_app, first)
            assert answer(first, item, framework.factors[0].id, {q: "2"}).status_code == 303
        flood = phone(strict_app)
        refused = answer(flood, item, framework.factors[0].id, {q: "2"})
        assert refused.status_code == 429 and "Too many people" in text_of(refused)
        assert stored(db) == (2, 2)
        # A respondent who already holds a key keeps answering.
        assert answer(first, item, framework.factors[0].id, {q: "3"}).status_code == 303


def test_a_distribution_needs_the_minimum_number_of_answers(app: FastAPI, client: TestClient,
                                                            db: Session,
                                                            framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    item = open_survey(client, db, round_, unit)
    q = framework.factors[0].questions[0].id
    for level in ("2", "3"):
        answer(phone(app), item, framework.factors[0].id, {q: level})
    page = text_of(client.get(f"/surveys/{item.id}"))
    assert "2 answers: too few to show" in page and "agrees on 0 questions" in page
    answer(phone(app), item, framework.factors[0].id, {q: "3"})
    page = text_of(client.get(f"/surveys/{item.id}"))
    assert "2 answers: too few" not in page and "agrees on 1 question " in page


# Focus workshops and prompts --------------------------------------------------------------

def agree_on(app: FastAPI, item: Survey, framework: Framework, phones: int = 5) -> set[str]:
    """Phones answer every question: the first factor's and the third question of each
    factor close together (agreed), the rest far apart."""
    agreed = {q.id for q in framework.factors[0].questions} | \
        {f.questions[2].id for f in framework.factors}
    for i in range(phones):
        mobile = phone(app)
        for factor in framework.factors:
            answer(mobile, item, factor.id, {
                q.id: str(3 + i % 2) if q.id in agreed else str(1 + i) for q in factor.questions})
    return agreed


def test_a_focus_workshop_confirms_what_the_survey_agreed(app: FastAPI, client: TestClient,
                                                          db: Session,
                                                          framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    item = open_survey(client, db, round_, unit)
    agreed = agree_on(app, item, framework)
    assert len(agreed) == 12
    assert "A focus workshop confirms them in 8 steps" in text_of(client.get(f"/surveys/{item.id}"))
    client.post(f"/surveys/{item.id}/close")
    started = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                          data={"focus": "1"}, follow_redirects=False)
    assert started.status_code == 303
    workshop = db.exec(select(Workshop)).one()
    assert workshops.focus_skip(workshop) == agreed
    full = workshops.agenda(framework)
    steps = workshops.workshop_agenda(workshop, framework)
    assert len(full) - len(steps) == len(agreed) - 8 == 4
    questions = [s.question_id for s in steps if s.kind is StepKind.question]
    assert not agreed & set(questions) and len(questions) == 40 - len(agreed)
    console = client.get(f"/workshops/{workshop.id}")
    assert "Focus mode: 12 questions" in text_of(console)
    assert "the agenda is 4 steps shorter" in text_of(console)
    # The first factor's step confirms all five of its questions in one go.
    confirm = next(s for s in steps if s.kind is StepKind.confirm)
    client.post(f"/workshops/{workshop.id}/step", data={"index": str(confirm.index)})
    page = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    selects = page.select("#confirm-form select")
    assert len(selects) == 5
    assert all(s.select_one("option[selected]")["value"] == "3" for s in selects)  # 3,4,3,4,3
    projector = text_of(client.get(f"/workshops/{workshop.id}/projector"))
    assert "The pre-workshop survey agreed on these questions" in projector
    # A phone at the confirmation step has nothing to vote on; a skipped question takes no vote.
    mobile = phone(app)
    mobile.post("/join", data={"code": workshop.code})
    assert "there is nothing to vote on" in text_of(mobile.get(f"/w/{workshop.code}"))
    skipped = framework.factors[0].questions[0].id
    assert mobile.post(f"/w/{workshop.code}/votes/{skipped}",
                       data={"choice": "2"}).status_code == 409
    factor = framework.factors[0]
    data = {"factor_id": factor.id, **{f"level-{q.id}": "4" for q in factor.questions}}
    data[f"level-{factor.questions[1].id}"] = "3"  # the room disputes one
    assert client.post(f"/workshops/{workshop.id}/confirm", data=data,
                       follow_redirects=False).status_code == 303
    assessment = db.get(Assessment, workshop.assessment_id)
    assert assessment is not None
    db.expire_all()
    recorded = {qid: a.level for qid, a in services.own_answers(db, assessment).items()}
    assert recorded == {q.id: 3 if q is factor.questions[1] else 4 for q in factor.questions}
    # A factor the focus mode did not skip, or a missing stage, is refused: nothing stored.
    refused = client.post(f"/workshops/{workshop.id}/confirm",
                          data={"factor_id": "no-such-factor"})
    assert refused.status_code == 422
    second = framework.factors[1]
    refused = client.post(f"/workshops/{workshop.id}/confirm", data={"factor_id": second.id})
    assert refused.status_code == 422
    db.expire_all()
    assert len(services.own_answers(db, assessment)) == 5
    # A question step opens with the survey's distribution beside the room's votes.
    step = next(s for s in steps if s.kind is StepKind.question)
    client.post(f"/workshops/{workshop.id}/step", data={"index": str(step.index)})
    console = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    assert "5 answers" in console.select_one(".presurvey").get_text(" ")
    wall = BeautifulSoup(client.get(f"/workshops/{workshop.id}/projector").text, "html.parser")
    assert "Pre-workshop survey, 5 answers" in wall.select_one("#presurvey-line").get_text(" ")


def test_prompts_on_the_console_and_the_projector(app: FastAPI, client: TestClient, db: Session,
                                                  framework: Framework) -> None:
    round_, unit = setup_round(db, framework)
    client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops")
    workshop = db.exec(select(Workshop)).one()
    factor, question = framework.factors[0], framework.factors[0].questions[0]
    step = next(s.index for s in workshops.agenda(framework) if s.question_id == question.id)
    client.post(f"/workshops/{workshop.id}/step", data={"index": str(step)})
    page = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    shown = [p.get_text(" ", strip=True) for p in page.select(".prompt-text")]
    assert shown[0] == question.prompts[0]["en"]
    assert factor.prompts[0]["en"] in shown and len(shown) == 1 + len(factor.prompts)
    # Divergent votes, revealed: the divergence prompts with the stages voted.
    for level in ("1", "2", "4", "4"):
        mobile = phone(app)
        mobile.post("/join", data={"code": workshop.code})
        mobile.post(f"/w/{workshop.code}/votes/{question.id}", data={"choice": level})
    client.post(f"/workshops/{workshop.id}/reveal", data={"question_id": question.id})
    page = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    divergence = [p.select_one(".prompt-text").get_text(" ", strip=True)
                  for p in page.select(".prompt-divergence")]
    assert "What would have to be true for us to be at stage 4 (Integrated)?" in divergence
    key = f"d:{question.id}:0"
    assert client.post(f"/workshops/{workshop.id}/prompt", data={"prompt": key},
                       follow_redirects=False).status_code == 303
    wall = BeautifulSoup(client.get(f"/workshops/{workshop.id}/projector").text, "html.parser")
    assert wall.select_one("#projected-prompt").get_text(strip=True) == \
        "What would have to be true for us to be at stage 4 (Integrated)?"
    finnish = TestClient(app, headers={"Accept-Language": "fi"})
    finnish.cookies = client.cookies
    wall_fi = BeautifulSoup(finnish.get(f"/workshops/{workshop.id}/projector").text,
                            "html.parser")
    assert wall_fi.select_one("#projected-prompt").get_text(strip=True) == \
        "Mitä pitäisi olla totta, jotta olisimme tasolla 4 (Integroitu)?"
    # An unknown prompt is refused and the projected one stays.
    refused = client.post(f"/workshops/{workshop.id}/prompt", data={"prompt": "q:other:9"})
    assert refused.status_code == 422 and "no such prompt" in text_of(refused)
    db.expire_all()
    assert db.get(Workshop, workshop.id).prompt == key  # type: ignore[union-attr]
    # Re-opened voting hides the votes: the divergence prompt leaves the wall.
    client.post(f"/workshops/{workshop.id}/reveal", data={"question_id": question.id, "hide": "1"})
    wall = BeautifulSoup(client.get(f"/workshops/{workshop.id}/projector").text, "html.parser")
    assert wall.select_one("#projected-prompt") is None
    # Taken off the projector.
    client.post(f"/workshops/{workshop.id}/prompt", data={"prompt": ""})
    db.expire_all()
    assert db.get(Workshop, workshop.id).prompt is None  # type: ignore[union-attr]
    assert db.exec(select(func.count()).select_from(Answer).where(
        col(Answer.respondent_id).is_(None))).one() == 0
