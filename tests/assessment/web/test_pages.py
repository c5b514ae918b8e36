"""The web app end to end through its HTTP interface, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import services
from assessment.framework import Framework
from assessment.models import Answer, Assessment, AssessmentStatus, Organisation, Round, Unit
from tests.factories import make_assessment, make_organisation, make_unit

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(soup(response).get_text(" ").split())


def test_home_shows_empty_state_and_creates_an_organisation(client: TestClient,
                                                            db: Session) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "There are no organisations yet" in text_of(page)
    created = client.post("/organisations", data={"name": "  Esimerkki   Oy "},
                          follow_redirects=False)
    assert created.status_code == 303
    organisation = db.exec(select(Organisation)).one()
    assert organisation.name == "Esimerkki Oy"
    assert created.headers["location"] == f"/organisations/{organisation.id}"


def test_empty_name_rerenders_the_form_with_a_message(client: TestClient, db: Session) -> None:
    response = client.post("/organisations", data={"name": "   "})
    assert response.status_code == 422
    page = soup(response)
    field = page.select_one("#field-name")
    assert field is not None and field.get("aria-invalid") == "true"
    assert page.select_one("#error-name").get_text(strip=True) == "Enter a name."
    assert db.exec(select(Organisation)).all() == []


def test_unit_tree_and_round_creation(client: TestClient, db: Session,
                                      framework: Framework) -> None:
    organisation = make_organisation(db)
    url = f"/organisations/{organisation.id}"
    assert client.post(f"{url}/units", data={"name": "Asiakaspalvelu"},
                       follow_redirects=False).status_code == 303
    parent = db.exec(select(Unit)).one()
    assert client.post(f"{url}/units", data={"name": "Chat", "parent_id": str(parent.id)},
                       follow_redirects=False).status_code == 303
    page = soup(client.get(url))
    items = [(li.get_text(strip=True), li["class"]) for li in page.select(".unit-tree li")]
    assert items == [("Asiakaspalvelu", ["depth-0"]), ("Chat", ["depth-1"])]
    response = client.post(f"{url}/rounds", data={"name": "Kevät 2026",
                                                  "framework_id": framework.id},
                           follow_redirects=False)
    assert response.status_code == 303
    round_ = db.exec(select(Round)).one()
    assert response.headers["location"] == f"/rounds/{round_.id}"


def test_parent_from_another_organisation_is_refused(client: TestClient, db: Session) -> None:
    mine = make_organisation(db, name="Oma")
    other_unit = make_unit(db, organisation=make_organisation(db, name="Muu"), name="Vieras")
    response = client.post(f"/organisations/{mine.id}/units",
                           data={"name": "Uusi", "parent_id": str(other_unit.id)})
    assert response.status_code == 422
    assert "Choose a parent unit of this organisation." in text_of(response)
    assert soup(response).select_one("#field-unit-name")["value"] == "Uusi"
    assert db.exec(select(Unit).where(Unit.organisation_id == mine.id)).all() == []


def test_duplicate_round_name_and_unknown_framework(client: TestClient, db: Session,
                                                    framework: Framework) -> None:
    organisation = make_organisation(db)
    url = f"/organisations/{organisation.id}/rounds"
    client.post(url, data={"name": "Kevät 2026", "framework_id": framework.id})
    again = client.post(url, data={"name": "Kevät 2026", "framework_id": framework.id})
    assert again.status_code == 422
    assert "already has a round with that name" in text_of(again)
    unknown = client.post(url, data={"name": "Syksy", "framework_id": "nope"})
    assert unknown.status_code == 422 and "Choose a framework." in text_of(unknown)
    assert len(db.exec(select(Round)).all()) == 1


@pytest.mark.parametrize("path", ["/organisations/999", "/rounds/999", "/assessments/999",
                                  "/assessments/999/results", "/assessments/abc",
                                  "/no/such/page"])
def test_unknown_ids_give_a_404_page_in_the_chosen_language(client: TestClient,
                                                            path: str) -> None:
    english = client.get(path)
    assert english.status_code == 404
    assert soup(english).h1.get_text(strip=True) == "Page not found"
    client.cookies.set("lang", "fi")
    finnish = client.get(path)
    assert finnish.status_code == 404
    assert soup(finnish).find("html")["lang"] == "fi"
    assert soup(finnish).h1.get_text(strip=True) == "Sivua ei löydy"


def test_unit_of_another_organisation_in_round_url_is_404(client: TestClient, db: Session,
                                                          framework: Framework) -> None:
    _, round_, _ = make_assessment(db, framework=framework)
    stranger = make_unit(db, organisation=make_organisation(db, name="Muu"), name="Vieras")
    response = client.post(f"/rounds/{round_.id}/units/{stranger.id}/self-assessment")
    assert response.status_code == 404
    assert db.exec(select(Assessment).where(Assessment.unit_id == stranger.id)).all() == []


def test_language_switch_persists_and_refuses_open_redirects(client: TestClient) -> None:
    response = client.post("/language", data={"lang": "fi", "next": "https://evil.example/"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get("/").headers["content-language"] == "fi"
    assert soup(client.get("/")).h1.get_text(strip=True) == "Organisaatiot"
    back = client.post("/language", data={"lang": "en", "next": "//evil.example"},
                       follow_redirects=False)
    assert back.headers["location"] == "/"
    assert soup(client.get("/")).h1.get_text(strip=True) == "Organisations"


def start_assessment(client: TestClient, db: Session, framework: Framework) -> Assessment:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Markkinointi")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    response = client.post(f"/rounds/{round_.id}/units/{unit.id}/self-assessment",
                           follow_redirects=False)
    assert response.status_code == 303
    assessment = db.exec(select(Assessment)).one()
    assert response.headers["location"] == f"/assessments/{assessment.id}"
    return assessment


def test_questionnaire_full_page_fragment_and_history_restore(client: TestClient, db: Session,
                                                              framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    factor = framework.factors[1]
    url = f"/assessments/{assessment.id}/factors/{factor.id}"

    full = client.get(url)
    assert full.status_code == 200 and full.headers["vary"].startswith("HX-Request")
    page = soup(full)
    assert page.find("html") is not None and page.select_one("#questionnaire h2") is not None
    first = factor.questions[0]
    radios = page.select(f"input[name='choice-{first.id}']")
    assert not first.not_applicable  # offered only where the question can honestly not apply
    assert [r["value"] for r in radios] == [*[str(i) for i in range(1, 6)], "dont_know"]
    label = page.select_one(f"label[for='c-{first.id}-3']").get_text(" ", strip=True)
    assert framework.stages[2].name["en"] in label and first.anchors["planned"]["en"] in label

    fragment = client.get(url, headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<body" not in fragment.text
    assert soup(fragment).h2.get_text(strip=True).startswith(factor.name["en"])

    restored = client.get(url, headers=HISTORY)
    assert "<html" in restored.text and soup(restored).select_one("#questionnaire h2")

    boosted = client.get(url, headers={**HX, "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_error_page_as_fragment_and_full_page(client: TestClient) -> None:
    assert "<html" in client.get("/rounds/404").text
    fragment = client.get("/rounds/404", headers=HX)
    assert fragment.status_code == 404 and "<html" not in fragment.text
    assert soup(fragment).h1.get_text(strip=True) == "Page not found"


@pytest.mark.parametrize("path", ["/", "/organisations/{org}", "/rounds/{round}",
                                  "/assessments/{a}/review", "/assessments/{a}/results"])
def test_every_page_three_ways(client: TestClient, db: Session, framework: Framework,
                               path: str) -> None:
    assessment, round_, _ = make_assessment(db, framework=framework,
                                            levels={framework.factors[0].questions[0].id: "2"})
    url = path.format(org=round_.organisation_id, round=round_.id, a=assessment.id)
    full, fragment, restored = (client.get(url), client.get(url, headers=HX),
                                client.get(url, headers=HISTORY))
    assert full.status_code == fragment.status_code == restored.status_code == 200
    assert "<html" in full.text and "<html" in restored.text
    assert "<html" not in fragment.text and soup(fragment).h1 is not None
    title = soup(full).title
    assert title is not None and title.find() is None, "the page title holds markup"
    assert 0 < len(title.get_text(strip=True)) < 120


def test_answer_saved_by_htmx_returns_status_and_progress(client: TestClient, db: Session,
                                                          framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    question = framework.factors[0].questions[0]
    response = client.post(f"/assessments/{assessment.id}/answers/{question.id}",
                           data={f"choice-{question.id}": "4",
                                 f"note-{question.id}": "Vuosikello <b>puuttuu</b>"},
                           headers=HX)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(f"#status-{question.id}").get_text(strip=True) == "Saved"
    progress = page.select_one("#progress")
    assert progress["data-hx-swap-oob"] == "true"
    assert "1 of" in progress.get_text(" ")
    answer = db.exec(select(Answer)).one()
    assert (answer.choice, answer.level, answer.note) == ("level", 4, "Vuosikello <b>puuttuu</b>")


@pytest.mark.parametrize(("choice", "note", "message"), [
    ("6", "", "Choose one of the stages 1–5"),
    ("0", "", "Choose one of the stages 1–5"),
    ("maybe", "", "Choose one of the stages 1–5"),
    ("3", "x" * 4001, "The note is too long: at most 4000 characters."),
])
def test_bad_answer_is_refused_with_a_message_and_nothing_stored(
        client: TestClient, db: Session, framework: Framework, choice: str, note: str,
        message: str) -> None:
    assessment = start_assessment(client, db, framework)
    question = framework.factors[0].questions[0]
    data = {f"choice-{question.id}": choice, f"note-{question.id}": note}
    fragment = client.post(f"/assessments/{assessment.id}/answers/{question.id}", data=data,
                           headers=HX)
    assert fragment.status_code == 422
    assert message in soup(fragment).select_one(f"#status-{question.id}").get_text()
    plain = client.post(f"/assessments/{assessment.id}/answers/{question.id}", data=data)
    assert plain.status_code == 422 and message in text_of(plain)
    assert db.exec(select(Answer)).all() == []


def test_unknown_question_is_422_and_stores_nothing(client: TestClient, db: Session,
                                                    framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    response = client.post(f"/assessments/{assessment.id}/answers/no-such-question",
                           data={"choice-no-such-question": "3"}, headers=HX)
    assert response.status_code == 422
    assert "not part of the assessment's framework" in text_of(response)
    assert db.exec(select(Answer)).all() == []


def test_factor_form_without_javascript_saves_and_moves_on(client: TestClient, db: Session,
                                                           framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    first, second = framework.factors[0], framework.factors[1]
    data = {f"choice-{q.id}": str(i % 5 + 1) for i, q in enumerate(first.questions)}
    data[f"note-{first.questions[0].id}"] = "Tavoitteet puuttuvat"
    data["go"] = "next"
    response = client.post(f"/assessments/{assessment.id}/factors/{first.id}", data=data,
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/factors/{second.id}")
    stored = {a.question_id: a.level for a in db.exec(select(Answer))}
    assert stored == {q.id: i % 5 + 1 for i, q in enumerate(first.questions)}
    # Coming back later shows the same answers.
    page = soup(client.get(f"/assessments/{assessment.id}/factors/{first.id}"))
    checked = page.select_one(f"input[name='choice-{first.questions[1].id}'][checked]")
    assert checked["value"] == "2"
    assert page.select_one(f"#note-{first.questions[0].id}").get_text() == "Tavoitteet puuttuvat"


def test_factor_form_with_one_bad_answer_stores_none_and_keeps_values(
        client: TestClient, db: Session, framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    factor = framework.factors[0]
    data = {f"choice-{q.id}": "3" for q in factor.questions}
    data[f"choice-{factor.questions[2].id}"] = "9"
    response = client.post(f"/assessments/{assessment.id}/factors/{factor.id}", data=data)
    assert response.status_code == 422
    page = soup(response)
    bad = page.select_one(f"#q-{factor.questions[2].id}")
    assert "has-error" in bad["class"]
    kept = page.select_one(f"input[name='choice-{factor.questions[0].id}'][checked]")
    assert kept["value"] == "3"
    assert db.exec(select(Answer)).all() == []


def test_submit_locks_and_reopen_unlocks(client: TestClient, db: Session,
                                         framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    question = framework.factors[0].questions[0]
    url = f"/assessments/{assessment.id}"
    assert client.post(f"{url}/submit", follow_redirects=False).status_code == 303
    db.refresh(assessment)
    assert assessment.status == AssessmentStatus.submitted
    locked = client.post(f"{url}/answers/{question.id}", data={f"choice-{question.id}": "2"},
                         headers=HX)
    assert locked.status_code == 409 and "locked" in locked.text
    form = client.post(f"{url}/factors/{framework.factors[0].id}",
                       data={f"choice-{question.id}": "2"})
    assert form.status_code == 409 and "locked" in text_of(form)
    again = client.post(f"{url}/submit")
    assert again.status_code == 409
    assert db.exec(select(Answer)).all() == []
    assert client.post(f"{url}/reopen", follow_redirects=False).status_code == 303
    db.refresh(assessment)
    assert assessment.status == AssessmentStatus.draft
    saved = client.post(f"{url}/answers/{question.id}", data={f"choice-{question.id}": "2"},
                        headers=HX)
    assert saved.status_code == 200


def test_results_page_scores_stages_next_stage_notes_and_radar(client: TestClient, db: Session,
                                                               framework: Framework) -> None:
    goals = framework.factors[0]
    levels = {q.id: "3" for q in goals.questions}
    levels[goals.questions[0].id] = "4"
    listening = framework.factor("listening")
    levels[listening.questions[0].id] = "2"  # too few answers for a score
    assessment, _, _ = make_assessment(db, framework=framework, levels=levels, submit=True)
    response = client.get(f"/assessments/{assessment.id}/results")
    assert response.status_code == 200
    page = soup(response)
    rows = {tr.th.get_text(" ", strip=True).replace(" core", ""): [td.get_text(" ", strip=True)
                                                                   for td in tr.find_all("td")]
            for tr in page.select("table.scores tbody tr")}
    total = sum(int(v) for k, v in levels.items() if k in {q.id for q in goals.questions})
    expected = (Decimal(total) / len(goals.questions)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert rows[goals.name["en"]][0] == f"{expected:.1f}"
    assert rows[goals.name["en"]][1] == framework.stages[int(expected) - 1].name["en"]
    assert rows[listening.name["en"]][0] == "Not enough answers"
    section = page.select_one(f"#factor-{goals.id}")
    assert goals.stages["planned"]["en"] in section.get_text()
    assert goals.stages["integrated"]["en"] in section.get_text()  # the next stage
    svg = page.select_one(".chart svg")
    assert svg is not None and svg.get("role") == "img"
    assert framework.factor("culture").name["en"] in page.select_one(".chart").get_text(" ")
    assert framework.version in text_of(response)


def test_finnish_results_use_finnish_numbers_and_dates(client: TestClient, db: Session,
                                                       framework: Framework) -> None:
    goals = framework.factors[0]
    levels = {q.id: "3" for q in goals.questions}
    levels[goals.questions[0].id] = "5"
    assessment, _, _ = make_assessment(db, framework=framework, levels=levels, submit=True)
    client.cookies.set("lang", "fi")
    page = soup(client.get(f"/assessments/{assessment.id}/results"))
    row = page.select("table.scores tbody tr")[0]
    assert re.fullmatch(r"\d,\d", row.td.get_text(strip=True))
    assert goals.name["fi"] in row.th.get_text()
    assert re.search(r"\d{1,2}\.\d{1,2}\.\d{4}", page.select_one(".status").get_text())


def test_html_in_user_text_is_shown_as_text_everywhere(client: TestClient, db: Session,
                                                       framework: Framework) -> None:
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    organisation = make_organisation(db, name=evil)
    unit = make_unit(db, organisation=organisation, name=evil)
    round_ = services.create_round(db, organisation, evil, framework)
    assessment = services.get_or_create_assessment(db, round_, unit)
    question = framework.factors[0].questions[0]
    services.save_answers(db, assessment, framework,
                          [services.AnswerInput(question.id, "3", evil)])
    db.commit()
    for url in ["/", f"/organisations/{organisation.id}", f"/rounds/{round_.id}",
                f"/assessments/{assessment.id}/factors/{framework.factors[0].id}",
                f"/assessments/{assessment.id}/review", f"/assessments/{assessment.id}/results"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.text, url
        assert "<img src=x" not in response.text, url
        assert evil in soup(response).get_text(), url


def test_questionnaire_offers_not_applicable_only_where_the_framework_allows_it(
        client: TestClient, db: Session, framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    factor = framework.factor("participation")
    page = soup(client.get(f"/assessments/{assessment.id}/factors/{factor.id}"))
    offered = {q.id for q in factor.questions
               if page.select_one(f"input[name='choice-{q.id}'][value='not_applicable']")}
    assert offered == {q.id for q in factor.questions if q.not_applicable} != set()
    note = page.select_one("details.facilitator-note")
    assert note is not None and framework.facilitator_note is not None
    assert framework.facilitator_note["en"] in note.get_text(" ")


def test_refused_not_applicable_is_422_with_a_message_and_nothing_stored(
        client: TestClient, db: Session, framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    question = framework.factors[0].questions[0]
    data = {f"choice-{question.id}": "not_applicable"}
    response = client.post(f"/assessments/{assessment.id}/answers/{question.id}", data=data,
                           headers=HX)
    assert response.status_code == 422
    assert "is not an answer to this question" in response.text
    assert db.exec(select(Answer)).all() == []
    allowed = next(q for f in framework.factors for q in f.questions if q.not_applicable)
    saved = client.post(f"/assessments/{assessment.id}/answers/{allowed.id}",
                        data={f"choice-{allowed.id}": "not_applicable"}, headers=HX)
    assert saved.status_code == 200
    assert db.exec(select(Answer)).one().choice == "not_applicable"


def test_questionnaire_says_whose_view_is_asked(client: TestClient, db: Session,
                                                framework: Framework) -> None:
    assessment = start_assessment(client, db, framework)
    factor = framework.factor("culture")
    page = soup(client.get(f"/assessments/{assessment.id}/factors/{factor.id}"))
    for question in factor.questions:
        hint = page.select_one(f"#scope-{question.id}").get_text(strip=True)
        wanted = "whole organisation" if question.scope == "organisation" else "own practice"
        assert wanted in hint, question.id


def test_results_page_says_why_we_ask_each_question(client: TestClient, db: Session,
                                                    framework: Framework) -> None:
    goals = framework.factors[0]
    assessment, _, _ = make_assessment(db, framework=framework,
                                       levels={q.id: "3" for q in goals.questions},
                                       submit=True)
    page = soup(client.get(f"/assessments/{assessment.id}/results"))
    why = page.select_one(f"#why-{goals.id}")
    assert why is not None and why.summary.get_text(strip=True) == "Why we ask this"
    cited = [c.get_text(strip=True) for c in why.select("cite")]
    expected = [framework.seed(s).title["en"] for q in goals.questions for s in q.sources]
    assert cited == expected
