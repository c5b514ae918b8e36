"""Workshops over HTTP: facilitator, projector and participants, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import services, workshops
from assessment.framework import Framework
from assessment.models import Answer, Need, Target, Workshop
from assessment.workshops import StepKind
from tests.conftest import csrf_headers, set_cookie
from tests.factories import make_organisation, make_unit

HX = {"HX-Request": "true"}
HISTORY = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def start(client: TestClient, db: Session, framework: Framework) -> Workshop:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    response = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                           follow_redirects=False)
    assert response.status_code == 303
    workshop = db.exec(select(Workshop)).one()
    assert response.headers["location"] == f"/workshops/{workshop.id}"
    return workshop


def participant(app: FastAPI, code: str, nickname: str = "") -> TestClient:
    phone = TestClient(app, headers={"Accept-Language": "en"})
    csrf_headers(app, phone)
    joined = phone.post("/join", data={"code": code.lower(), "nickname": nickname},
                        follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == f"/w/{code}"
    return phone


def go(client: TestClient, workshop: Workshop, index: int) -> None:
    response = client.post(f"/workshops/{workshop.id}/step", data={"index": str(index)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_a_whole_workshop(app: FastAPI, client: TestClient, db: Session,
                          framework: Framework) -> None:
    workshop = start(client, db, framework)
    phones = [participant(app, workshop.code, f"P{i}") for i in range(3)]
    projector = client.get(f"/workshops/{workshop.id}/projector")
    assert workshop.code in text_of(projector) and "3 phones have joined" in text_of(projector)
    assert BeautifulSoup(projector.text, "html.parser").select_one(".qr svg") is not None

    # Needs: post, the facilitator merges, participants dot-vote.
    for phone, text in zip(phones, ["Yhteinen vuosikello", "<b>Vuosikello</b>", "Mittarit"],
                           strict=True):
        assert phone.post(f"/w/{workshop.code}/needs", data={"text": text},
                          headers=HX).status_code == 200
    needs = {n.text: n.id for n in db.exec(select(Need))}
    assert client.post(f"/workshops/{workshop.id}/needs/merge",
                       data={"keep": needs["Yhteinen vuosikello"],
                             "other": needs["<b>Vuosikello</b>"]},
                       follow_redirects=False).status_code == 303
    go(client, workshop, 1)
    for phone in phones:
        phone.post(f"/w/{workshop.code}/needs/{needs['Mittarit']}/dots", data={"op": "add"})
    phones[0].post(f"/w/{workshop.code}/needs/{needs['<b>Vuosikello</b>']}/dots",
                   data={"op": "add"})
    wall = client.get(f"/workshops/{workshop.id}/projector")
    ranked = [li.get_text(" ", strip=True) for li in
              BeautifulSoup(wall.text, "html.parser").select("ol.ranked li")]
    assert ranked[0].startswith("Mittarit") and "3 dots" in ranked[0]
    assert "<b>" not in wall.text.split("needs-wall")[1].split("</ol>")[0].replace("&lt;b&gt;", "")

    # One question: silent votes, reveal, consensus.
    index = next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)
    question = workshops.agenda(framework)[index].question_id
    go(client, workshop, index)
    for phone, level in zip(phones, ["2", "3", "3"], strict=True):
        voted = phone.post(f"/w/{workshop.code}/votes/{question}", data={"choice": level},
                           headers=HX)
        assert voted.status_code == 200
    console = client.get(f"/workshops/{workshop.id}")
    assert "3 votes" in text_of(console) and "Median" not in text_of(console)
    assert client.post(f"/workshops/{workshop.id}/reveal", data={"question_id": question},
                       follow_redirects=False).status_code == 303
    revealed = text_of(phones[0].get(f"/w/{workshop.code}"))
    assert "Median 3.0" in revealed and "2 votes" in revealed
    late = phones[1].post(f"/w/{workshop.code}/votes/{question}", data={"choice": "5"},
                          headers=HX)
    assert late.status_code == 409 and "revealed" in text_of(late)
    assert client.post(f"/workshops/{workshop.id}/consensus",
                       data={"question_id": question, "level": "3",
                             "rationale": "Suunnitelma on olemassa"},
                       follow_redirects=False).status_code == 303
    own = db.exec(select(Answer).where(Answer.assessment_id == workshop.assessment_id,
                                       Answer.respondent_id == None)).one()  # noqa: E711
    assert (own.level, own.note) == (3, "Suunnitelma on olemassa")

    # A target, then the wrap-up with the radar and the table beside it.
    target_index = next(s.index for s in workshops.agenda(framework)
                        if s.kind is StepKind.target)
    go(client, workshop, target_index)
    factor_id = workshops.agenda(framework)[target_index].factor_id
    for phone in phones:
        phone.post(f"/w/{workshop.code}/targets/{factor_id}", data={"level": "4"}, headers=HX)
    client.post(f"/workshops/{workshop.id}/targets", data={"factor_id": factor_id,
                                                          "level": "4"})
    assert db.exec(select(Target)).one().level == 4
    go(client, workshop, len(workshops.agenda(framework)) - 1)
    wrapup = client.get(f"/workshops/{workshop.id}/projector")
    page = BeautifulSoup(wrapup.text, "html.parser")
    assert page.select_one(".chart svg") is not None and "Mittarit" in text_of(wrapup)
    assert client.post(f"/workshops/{workshop.id}/close", follow_redirects=False).status_code \
        == 303
    assert "has ended" in text_of(phones[2].get(f"/w/{workshop.code}"))
    for phone in phones:
        phone.close()


def test_participant_poll_is_204_until_something_changes(app: FastAPI, client: TestClient,
                                                         db: Session,
                                                         framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    db.refresh(workshop)
    url = f"/w/{workshop.code}?v={workshop.version}"
    assert phone.get(url, headers=HX).status_code == 204
    go(client, workshop, 1)
    changed = phone.get(url, headers=HX)
    assert changed.status_code == 200 and "Prioritise the needs" in changed.text
    assert "<html" not in changed.text
    full = phone.get(url)
    assert full.status_code == 200 and "<html" in full.text
    restored = phone.get(url, headers=HISTORY)
    assert "<html" in restored.text


def test_screens_three_ways(app: FastAPI, client: TestClient, db: Session,
                            framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    for viewer, url, marker in [(client, f"/workshops/{workshop.id}", 'id="live"'),
                                (client, f"/workshops/{workshop.id}/projector", 'id="screen"'),
                                (phone, f"/w/{workshop.code}", 'id="step"')]:
        full, fragment, restored = (viewer.get(url), viewer.get(url, headers=HX),
                                    viewer.get(url, headers=HISTORY))
        assert full.status_code == fragment.status_code == restored.status_code == 200
        assert "<html" in full.text and "<html" in restored.text and marker in full.text
        assert "<html" not in fragment.text and marker in fragment.text


def polled_url(response) -> str:  # type: ignore[no-untyped-def]
    """The URL a screen polls, with the digest of what it shows."""
    box = BeautifulSoup(response.text, "html.parser").select_one("[data-hx-trigger='every 2s']")
    assert box is not None
    return str(box["data-hx-get"])


def test_console_and_projector_polls_are_204_until_what_they_show_changes(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    phone.post(f"/w/{workshop.code}/needs", data={"text": "Yhteinen vuosikello"}, headers=HX)
    for url in [f"/workshops/{workshop.id}", f"/workshops/{workshop.id}/projector"]:
        polled = polled_url(client.get(url))
        assert "?seen=" in polled
        assert client.get(polled, headers=HX).status_code == 204
        assert client.get(polled).status_code == 200  # a reload is a whole page
    console_poll = polled_url(client.get(f"/workshops/{workshop.id}"))
    projector_poll = polled_url(client.get(f"/workshops/{workshop.id}/projector"))

    # A note posted after the console was loaded: the poll brings the merge form with it.
    phone.post(f"/w/{workshop.code}/needs", data={"text": "Mittarit puuttuvat"}, headers=HX)
    fresh = client.get(console_poll, headers=HX)
    assert fresh.status_code == 200 and "<html" not in fresh.text
    form = BeautifulSoup(fresh.text, "html.parser").select_one("#live form[action$='/merge']")
    assert form is not None
    assert [o.get_text() for o in form.select("#merge-keep option")] == [
        "Yhteinen vuosikello", "Mittarit puuttuvat"]
    assert client.get(polled_url(fresh), headers=HX).status_code == 204
    assert client.get(projector_poll, headers=HX).status_code == 200
    assert client.get(polled_url(client.get(f"/workshops/{workshop.id}/projector")),
                      headers=HX).status_code == 204

    # At the wrap-up the console's poll is the live box only: the chart is not redrawn.
    go(client, workshop, len(workshops.agenda(framework)) - 1)
    full = client.get(f"/workshops/{workshop.id}")
    assert BeautifulSoup(full.text, "html.parser").select_one(".chart svg") is not None
    fragment = client.get(f"/workshops/{workshop.id}", headers=HX)
    assert fragment.status_code == 200 and "<svg" not in fragment.text
    wall = client.get(f"/workshops/{workshop.id}/projector")
    assert client.get(polled_url(wall), headers=HX).status_code == 204
    # Finnish screens are another drawing: the digest differs by language.
    finnish = client.get(polled_url(wall), headers={**HX, "Accept-Language": "fi"})
    assert finnish.status_code == 200 and "Yhteinen näkemys" in finnish.text


def test_a_question_screen_shared_by_phones_keeps_each_phones_own_parts(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    phones = [participant(app, workshop.code, name)
              for name in ["<i>Mia</i>", "Leo", ""]]
    for number, phone in enumerate(phones):  # a browser each: CSRF cookies of their own
        set_cookie(phone, "csrf", f"csrf-cookie-{number}")
        phone.headers["X-CSRF-Token"] = app.state.sessions.csrf_token(f"csrf-cookie-{number}")
    index = next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)
    question = workshops.agenda(framework)[index].question_id
    go(client, workshop, index)
    assert phones[1].post(f"/w/{workshop.code}/votes/{question}", data={"choice": "2"},
                          headers=HX).status_code == 200
    for _ in range(2):  # the second time from the shared rendering
        screens = [phone.get(f"/w/{workshop.code}", headers=HX) for phone in phones]
        pages = [BeautifulSoup(r.text, "html.parser") for r in screens]
        assert all(r.status_code == 200 and "<html" not in r.text for r in screens)
        meta = [page.select_one("p.meta").get_text(" ", strip=True) for page in pages]
        assert meta[0].endswith("· <i>Mia</i>") and "&lt;i&gt;Mia" in screens[0].text
        assert meta[1].endswith("· Leo") and "·" not in meta[2]
        tokens = [page.select_one("input[name=csrf_token]")["value"] for page in pages]
        assert tokens == [BeautifulSoup(phone.get(f"/w/{workshop.code}").text, "html.parser")
                          .select_one("input[name=csrf_token]")["value"] for phone in phones]
        assert len(set(tokens)) == 3 and "\ue000" not in "".join(r.text for r in screens)
        checked = [[i["value"] for i in page.select("input[name=choice][checked]")]
                   for page in pages]
        assert checked == [[], ["2"], []]
    # Each phone's token is the one its forms must send: a vote with it is taken.
    del phones[0].headers["X-CSRF-Token"]
    assert phones[0].post(f"/w/{workshop.code}/votes/{question}",
                          data={"choice": "3", "csrf_token": tokens[0]},
                          headers={"HX-Request": "true"}).status_code == 200


def test_join_with_a_wrong_or_closed_code(app: FastAPI, client: TestClient, db: Session,
                                          framework: Framework) -> None:
    workshop = start(client, db, framework)
    with TestClient(app, headers={"Accept-Language": "en"}) as phone:
        csrf_headers(app, phone)
        wrong = phone.post("/join", data={"code": "XXXXXX"})
        assert wrong.status_code == 422 and "no workshop with this code" in text_of(wrong)
        assert phone.get(f"/w/{workshop.code}", follow_redirects=False).headers[
            "location"] == f"/join?code={workshop.code}"
        too_long = phone.post("/join", data={"code": workshop.code, "nickname": "n" * 41})
        assert too_long.status_code == 422
        client.post(f"/workshops/{workshop.id}/close")
        closed = phone.post("/join", data={"code": workshop.code})
        assert closed.status_code == 409 and "has ended" in text_of(closed)
    assert workshops.participant_count(db, workshop) == 0


def test_flooding_and_oversized_notes_are_refused(app: FastAPI, client: TestClient,
                                                  db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    long = phone.post(f"/w/{workshop.code}/needs", data={"text": "x" * 501}, headers=HX)
    assert long.status_code == 422 and "at most 500 characters" in text_of(long)
    statuses = [phone.post(f"/w/{workshop.code}/needs", data={"text": f"Tarve {i}"},
                           headers=HX).status_code for i in range(workshops.NEEDS_PER_MINUTE + 2)]
    assert statuses.count(200) == workshops.NEEDS_PER_MINUTE and statuses[-1] == 429
    assert len(db.exec(select(Need)).all()) == workshops.NEEDS_PER_MINUTE


def test_a_second_app_process_serves_the_same_workshop(tmp_path: Path, framework: Framework,
                                                       ) -> None:
    from assessment.models import metadata
    from assessment.web.app import create_app
    from tests.conftest import make_settings, sign_in
    from tests.factories import make_user

    url = f"sqlite:///{tmp_path / 'two.db'}"
    first, second = create_app(make_settings(url)), create_app(make_settings(url))
    metadata.create_all(first.state.engine)
    with Session(first.state.engine, expire_on_commit=False) as session:
        make_user(session, email="fasilitaattori@example.com", is_admin=True)
    with TestClient(first, headers={"Accept-Language": "en"}) as facilitator:
        csrf_headers(first, facilitator)
        sign_in(facilitator, "fasilitaattori@example.com")
        with Session(first.state.engine, expire_on_commit=False) as session:
            workshop = start(facilitator, session, framework)
        phone = participant(second, workshop.code)
        assert "Needs and expectations" in text_of(phone.get(f"/w/{workshop.code}"))
        go(facilitator, workshop, 1)
        assert "Prioritise the needs" in text_of(phone.get(f"/w/{workshop.code}"))
        phone.close()
    for app in (first, second):
        app.state.engine.dispose()


def test_an_htmx_vote_gets_back_only_its_choices(app: FastAPI, client: TestClient,
                                                 db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    index = next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)
    question = workshops.agenda(framework)[index].question_id
    go(client, workshop, index)
    url = f"/w/{workshop.code}/votes/{question}"

    voted = phone.post(url, data={"choice": "3"}, headers=HX)
    assert voted.status_code == 200 and "<html" not in voted.text
    fragment = BeautifulSoup(voted.text, "html.parser")
    assert fragment.select_one("#step") is None
    root = fragment.select_one("#vote")
    assert root is not None and root.select_one("form")["data-hx-target"] == "#vote"
    assert [i["value"] for i in root.select("input[checked]")] == ["3"]
    assert root.select_one("[role=status]").get_text(strip=True) == "Saved"

    again = BeautifulSoup(phone.post(url, data={"choice": "dont_know"}, headers=HX).text,
                          "html.parser")
    assert [i["value"] for i in again.select("#vote input[checked]")] == ["dont_know"]
    plain = phone.post(url, data={"choice": "4"}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/w/{workshop.code}"
    votes = db.exec(select(Answer).where(Answer.assessment_id == workshop.assessment_id,
                                         Answer.respondent_id != None)).all()  # noqa: E711
    assert [(a.question_id, a.level) for a in votes] == [(question, 4)]

    page = BeautifulSoup(phone.get(f"/w/{workshop.code}").text, "html.parser")
    assert [i["value"] for i in page.select("#step #vote input[checked]")] == ["4"]
    assert page.select("#step [role=status]") == []


def test_a_seat_kept_from_the_last_vote_is_checked_again_when_the_workshop_moves(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    """A process keeps the seat it read for a phone's vote and votes again against it: the
    write itself checks that the workshop is still at that seat's version, and a vote it
    refuses is checked again against the workshop as it now is."""
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    first, second, third = [s for s in workshops.agenda(framework)
                            if s.kind is StepKind.question][:3]

    def vote(step: workshops.Step, choice: str) -> int:
        return phone.post(f"/w/{workshop.code}/votes/{step.question_id}",
                          data={"choice": choice}, headers=HX).status_code

    def stored() -> dict[str, int | None]:
        db.expire_all()
        return {a.question_id: a.level for a in db.exec(select(Answer).where(
            Answer.assessment_id == workshop.assessment_id,
            Answer.respondent_id != None))}  # noqa: E711

    def kept_version() -> int:
        kept = list(app.state.seats._seats.values())
        assert len(kept) == 1
        return int(kept[0].workshop.version)

    go(client, workshop, first.index)
    assert vote(first, "2") == 200
    at_first = kept_version()
    go(client, workshop, second.index)
    # The kept seat is still at the first question: the vote is checked again, and counts.
    assert vote(second, "4") == 200 and kept_version() > at_first
    assert stored() == {first.question_id: 2, second.question_id: 4}

    go(client, workshop, third.index)
    late = phone.post(f"/w/{workshop.code}/votes/{second.question_id}", data={"choice": "5"},
                      headers=HX)  # the phone still showed the second question
    assert late.status_code == 409 and "not open right now" in text_of(late)
    assert vote(third, "3") == 200
    assert client.post(f"/workshops/{workshop.id}/reveal", data={"question_id": third.question_id},
                       follow_redirects=False).status_code == 303
    revealed = phone.post(f"/w/{workshop.code}/votes/{third.question_id}", data={"choice": "1"},
                          headers=HX)  # its seat was kept before the reveal
    assert revealed.status_code == 409 and "revealed" in text_of(revealed)
    assert stored() == {first.question_id: 2, second.question_id: 4, third.question_id: 3}
    phone.close()


def test_a_refused_vote_brings_back_the_whole_step(app: FastAPI, client: TestClient,
                                                   db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    question = framework.factors[0].questions[0].id
    refused = phone.post(f"/w/{workshop.code}/votes/{question}", data={"choice": "3"},
                         headers=HX)
    assert refused.status_code == 409
    assert refused.headers["HX-Retarget"] == "#step"
    assert refused.headers["HX-Reswap"] == "outerHTML"
    step = BeautifulSoup(refused.text, "html.parser").select_one("#step")
    assert step is not None and "not open right now" in text_of(refused)
    assert "Needs and expectations" in text_of(refused)
    assert db.exec(select(Answer)).all() == []


def test_a_participant_of_one_workshop_must_join_another(app: FastAPI, client: TestClient,
                                                         db: Session,
                                                         framework: Framework) -> None:
    first = start(client, db, framework)
    round_ = db.get(services.Round, first.round_id)
    unit = db.get(services.Unit, first.unit_id)
    assert round_ is not None and unit is not None
    second = workshops.create_workshop(db, round_, unit, by=None, another=True)
    db.commit()
    phone = participant(app, first.code)
    token = phone.cookies.get(f"wp{first.id}")
    assert token and phone.get(f"/w/{first.code}").status_code == 200
    elsewhere = phone.get(f"/w/{second.code}", follow_redirects=False)
    assert elsewhere.headers["location"] == f"/join?code={second.code}"
    phone.cookies.set(f"wp{second.id}", token)  # a token counts only for its own workshop
    assert phone.get(f"/w/{second.code}", follow_redirects=False).status_code == 303
    assert phone.get("/w/NOPE99", follow_redirects=False).status_code == 404
    phone.close()


def test_the_round_page_continues_a_running_workshop_and_starts_another_on_purpose(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    first = start(client, db, framework)
    page = BeautifulSoup(client.get(f"/rounds/{first.round_id}").text, "html.parser")
    continued = [a for a in page.select("a.button") if a["href"] == f"/workshops/{first.id}"]
    assert continued and "Continue the workshop" in continued[0].get_text()
    again = client.post(f"/rounds/{first.round_id}/units/{first.unit_id}/workshops",
                        follow_redirects=False)
    assert again.headers["location"] == f"/workshops/{first.id}", "no parallel session by accident"
    assert len(db.exec(select(Workshop)).all()) == 1
    phone = participant(app, first.code)
    index = next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)
    question = workshops.agenda(framework)[index].question_id
    go(client, first, index)
    assert phone.post(f"/w/{first.code}/votes/{question}", data={"choice": "2"},
                      headers=HX).status_code == 200

    another = client.post(f"/rounds/{first.round_id}/units/{first.unit_id}/workshops",
                          data={"another": "1"}, follow_redirects=False)
    second = db.exec(select(Workshop).where(Workshop.id != first.id)).one()
    assert another.headers["location"] == f"/workshops/{second.id}"
    go(client, second, index)
    console = text_of(client.get(f"/workshops/{second.id}"))
    assert "later session" in console and "0 participants" in console and "0 votes" in console
    assert "1 vote" in text_of(client.get(f"/workshops/{first.id}"))
    phone.close()


def test_hidden_votes_leave_no_trace_in_the_consensus_and_target_forms(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    minimum = app.state.settings.workshop_min_votes
    workshop = start(client, db, framework)
    index = next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)
    question = workshops.agenda(framework)[index].question_id
    factor = framework.factors[0].id
    target = next(s.index for s in workshops.agenda(framework)
                  if s.kind is StepKind.target and s.factor_id == factor)
    phones = []
    for count in range(minimum + 1):
        if count:
            phones.append(participant(app, workshop.code))
            go(client, workshop, index)
            client.post(f"/workshops/{workshop.id}/reveal",
                        data={"question_id": question, "hide": "1"})  # re-open voting
            assert phones[-1].post(f"/w/{workshop.code}/votes/{question}",
                                   data={"choice": "4"}, headers=HX).status_code == 200
            client.post(f"/workshops/{workshop.id}/reveal", data={"question_id": question})
            go(client, workshop, target)
            assert phones[-1].post(f"/w/{workshop.code}/targets/{factor}",
                                   data={"level": "5"}, headers=HX).status_code == 200
        for step, select_id in ((index, "consensus-level"), (target, "target-level")):
            go(client, workshop, step)
            for response in (client.get(f"/workshops/{workshop.id}"),
                             client.get(f"/workshops/{workshop.id}/projector"),
                             *(phone.get(f"/w/{workshop.code}") for phone in phones)):
                soup = BeautifulSoup(response.text, "html.parser")
                chosen = soup.select(f"#{select_id} option[selected]")
                if count < minimum:
                    assert chosen == [] and "Median" not in soup.get_text(), (count, step)
                    assert "●" not in soup.get_text(), (count, step)
                elif response.request.url.path == f"/workshops/{workshop.id}":
                    assert chosen, (count, step)


def test_the_facilitator_sees_and_removes_seats(app: FastAPI, client: TestClient, db: Session,
                                               framework: Framework) -> None:
    workshop = start(client, db, framework)
    phones = [participant(app, workshop.code, name) for name in ("Mia", "Mia2", "")]
    index = next(s.index for s in workshops.agenda(framework) if s.kind is StepKind.question)
    question = workshops.agenda(framework)[index].question_id
    go(client, workshop, index)
    for phone, level in zip(phones, ["2", "5", "3"], strict=True):
        assert phone.post(f"/w/{workshop.code}/votes/{question}", data={"choice": level},
                          headers=HX).status_code == 200
    console = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    rows = [[c.get_text(" ", strip=True) for c in tr.select("th, td")][::2]
            for tr in console.select("table.seats tbody tr")]
    assert rows == [["Mia", "1"], ["Mia2", "1"], ["Seat 3", "1"]]  # counts, never the votes
    assert "3 seats are taken." in text_of(client.get(f"/workshops/{workshop.id}"))
    poll = client.get(f"/workshops/{workshop.id}", headers=HX)  # the live box has them too
    assert len(BeautifulSoup(poll.text, "html.parser").select("#live table.seats tbody tr")) == 3
    form = console.select("table.seats form")[1]
    assert "Yes, remove the seat" in form.get_text() and form.select_one("details")

    seat = db.exec(select(workshops.Participant).where(
        workshops.Participant.nickname == "Mia2")).one()
    removed = client.post(str(form["action"]), follow_redirects=False)
    assert removed.status_code == 303 and form["action"] == (
        f"/workshops/{workshop.id}/seats/{seat.id}/remove")
    assert workshops.question_votes(db, workshop) == {question: [("level", 2), ("level", 3)]}
    gone = phones[1].get(f"/w/{workshop.code}", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"/join?code={workshop.code}"
    refused = phones[1].post(f"/w/{workshop.code}/votes/{question}", data={"choice": "5"},
                             follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/join")
    assert workshops.question_votes(db, workshop) == {question: [("level", 2), ("level", 3)]}
    wall = text_of(client.get(f"/workshops/{workshop.id}/projector"))
    assert "2 phones have joined" in wall and "removed are not counted" in wall
    page = text_of(client.get(f"/workshops/{workshop.id}"))
    assert "2 seats are taken." in page and "2 participants" in page and "Removed" in page
    for phone in phones:
        phone.close()


def test_the_targets_can_follow_each_factor_and_the_dots_are_set_in_the_ui(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    form = BeautifulSoup(client.get(f"/rounds/{round_.id}").text, "html.parser").select_one(
        f"form[action='/rounds/{round_.id}/units/{unit.id}/workshops']")
    assert form is not None and form.select_one("input[name=dots]") is not None
    assert {i["value"] for i in form.select("input[name=targets]")} == {"end", "factor"}
    client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                data={"dots": "5", "targets": "factor"})
    workshop = db.exec(select(Workshop)).one()
    assert workshop.dots_per_participant == 5 and workshop.targets_per_factor
    steps = workshops.workshop_agenda(workshop, framework)
    first = framework.factors[0]
    after = steps[2 + len(first.questions)]
    assert (after.kind, after.factor_id) == (StepKind.target, first.id)
    for index in range(len(steps)):  # step_at agrees with the agenda at every index
        assert workshops.step_at(framework, index, targets_per_factor=True) == steps[index]

    # Changed while it runs, the workshop stays on the step it is on.
    go(client, workshop, after.index + 1)  # the second factor's first question
    here = workshops.workshop_agenda(workshop, framework)[after.index + 1]
    assert client.post(f"/workshops/{workshop.id}/settings",
                       data={"dots": "2", "targets": "end"},
                       follow_redirects=False).status_code == 303
    db.refresh(workshop)
    assert not workshop.targets_per_factor and workshop.dots_per_participant == 2
    moved = workshops.current_step(workshop, framework)
    assert (moved.kind, moved.question_id) == (here.kind, here.question_id)
    refused = client.post(f"/workshops/{workshop.id}/settings", data={"dots": "11"})
    assert refused.status_code == 422 and "1–10 dots" in text_of(refused)
    db.refresh(workshop)
    assert workshop.dots_per_participant == 2


def test_a_seat_of_another_workshop_cannot_be_removed(app: FastAPI, client: TestClient,
                                                      db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    other = workshops.create_workshop(db, db.get(services.Round, workshop.round_id),  # type: ignore[arg-type]
                                      db.get(services.Unit, workshop.unit_id), by=None,  # type: ignore[arg-type]
                                      another=True)
    stranger = workshops.join(db, other, "Vieras")[0]
    db.commit()
    refused = client.post(f"/workshops/{workshop.id}/seats/{stranger.id}/remove")
    assert refused.status_code == 422 and "no such participant" in text_of(refused)
    db.refresh(stranger)
    assert stranger.removed_at is None


def test_joins_beyond_the_limit_of_an_address_are_refused(database_url: str,
                                                          framework: Framework) -> None:
    from assessment.models import metadata
    from assessment.web.app import create_app
    from tests.conftest import make_settings, sign_in
    from tests.factories import make_user

    app = create_app(make_settings(database_url, workshop_joins_per_address=2))
    metadata.create_all(app.state.engine)
    with Session(app.state.engine, expire_on_commit=False) as db, \
            TestClient(app, headers={"Accept-Language": "en"}) as client:
        make_user(db, email="admin@example.com", is_admin=True)
        csrf_headers(app, client)
        sign_in(client, "admin@example.com")
        workshop = start(client, db, framework)
        phones = [participant(app, workshop.code) for _ in range(2)]
        with TestClient(app, headers={"Accept-Language": "fi"}) as third:
            csrf_headers(app, third)
            refused = third.post("/join", data={"code": workshop.code, "nickname": "Kolmas"})
            assert refused.status_code == 429
            assert "Tästä verkosta on liitytty liian monta kertaa" in text_of(refused)
            field = BeautifulSoup(refused.text, "html.parser").select_one("input[name=nickname]")
            assert field is not None and field["value"] == "Kolmas"
        again = phones[0].post("/join", data={"code": workshop.code}, follow_redirects=False)
        assert again.status_code == 303  # a phone with its seat is not counted again
        assert workshops.participant_count(db, workshop) == 2
        for phone in phones:
            phone.close()
    app.state.engine.dispose()


def test_the_phone_offers_not_applicable_only_where_the_question_allows_it(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    workshop = start(client, db, framework)
    phone = participant(app, workshop.code)
    steps = [s for s in workshops.agenda(framework) if s.kind is StepKind.question]
    allowed = next(s for s in steps if framework.question(s.question_id or "")[1].not_applicable)
    refused = next(s for s in steps
                   if not framework.question(s.question_id or "")[1].not_applicable)

    go(client, workshop, refused.index)
    page = BeautifulSoup(phone.get(f"/w/{workshop.code}").text, "html.parser")
    assert page.select("#vote input[value='not_applicable']") == []
    url = f"/w/{workshop.code}/votes/{refused.question_id}"
    bad = phone.post(url, data={"choice": "not_applicable"}, headers=HX)
    assert bad.status_code == 422 and "is not an answer to this question" in text_of(bad)
    assert db.exec(select(Answer)).all() == []

    go(client, workshop, allowed.index)
    page = BeautifulSoup(phone.get(f"/w/{workshop.code}").text, "html.parser")
    assert page.select("#vote input[value='not_applicable']") != []
    voted = phone.post(f"/w/{workshop.code}/votes/{allowed.question_id}",
                       data={"choice": "not_applicable"}, headers=HX)
    assert voted.status_code == 200
    assert db.exec(select(Answer)).one().choice == "not_applicable"
    console = BeautifulSoup(client.get(f"/workshops/{workshop.id}").text, "html.parser")
    note = console.select_one("details.facilitator-note")
    assert note is not None and framework.facilitator_note is not None
    assert framework.facilitator_note["en"] in note.get_text(" ")


def test_the_seat_cache_gives_a_kept_seat_the_newest_workshop_read_here(
        db: Session, framework: Framework) -> None:
    from assessment.web.access import Seat, SeatCache

    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation)
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    workshop = workshops.create_workshop(db, round_, unit, by=None)
    person, token = workshops.join(db, workshop, "A")
    db.commit()
    cache = SeatCache(size=2)
    key = cache.key(workshop.code.lower(), {workshop.id or 0: token})
    assert key == cache.key(f" {workshop.code} ", {workshop.id or 0: token})
    assert cache.get(key) is None
    cache.put(key, Seat(workshop, person, "hash"))
    moved = workshop.model_copy(update={"version": workshop.version + 2, "step_index": 5})
    older = workshop.model_copy(update={"version": workshop.version + 1, "step_index": 3})
    cache.saw(moved)
    cache.saw(older)  # an older read arriving later changes nothing
    seat = cache.get(key)
    assert seat is not None and seat.workshop.step_index == 5
    assert (seat.participant, seat.content_hash) == (person, "hash")
    cache.forget(key)
    assert cache.get(key) is None
    for n in range(3):  # a full cache starts again
        cache.put(cache.key(f"C{n}", {}), Seat(workshop, person, "hash"))
    assert len(cache._seats) <= 2


def test_a_kept_seat_is_detached_so_a_rollback_leaves_it_whole(app: FastAPI, db: Session,
                                                                framework: Framework) -> None:
    """The seat a vote keeps outlives its session: the session's rollback (a refused vote)
    must not expire it, or the next vote, on another thread, would load it through a session
    not its own."""
    from sqlalchemy import inspect as inspect_row
    from starlette.requests import Request

    from assessment.policy import Action
    from assessment.web.access import SeatLookup

    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation)
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    workshop = workshops.create_workshop(db, round_, unit, by=None)
    _, token = workshops.join(db, workshop, "A")
    db.commit()
    cookie = f"wp{workshop.id}={token}".encode()
    request = Request({"type": "http", "app": app, "method": "POST", "path": "/",
                       "query_string": b"", "headers": [(b"cookie", cookie)], "state": {}})
    lookup = SeatLookup(request, workshop.code, Action.write)
    with Session(app.state.engine, expire_on_commit=False) as session:
        seat, kept = lookup.read(session, kept=True)
        assert not kept
        session.rollback()
        again, kept = lookup.read(session, kept=True)
        assert kept and again.workshop is seat.workshop
        for row in (seat.workshop, seat.participant):
            state = inspect_row(row)
            assert state.detached and not state.expired_attributes
