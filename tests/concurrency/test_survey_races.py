"""The pre-workshop survey's rules under simultaneous requests to two app processes, on
SQLite and PostgreSQL: new respondents per address, and answers racing the survey's close.
The two app processes come from `test_races`' `served` fixture (see conftest.py)."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
from sqlmodel import Session, col, func, select

from assessment import services, survey
from assessment.models import Answer, Role, Survey, SurveyRespondent
from tests.concurrency.test_races import (
    JOINS_PER_ADDRESS,
    Served,
    client,
    count,
    fire,
    no_server_errors,
    signed_in,
    statuses,
    together,
    with_csrf,
)
from tests.factories import make_organisation, make_unit, make_user

PHONES = 12


def open_survey(served: Served, name: str) -> tuple[Survey, httpx.Client]:
    """An organisation whose consultant has opened a unit's survey."""
    with Session(served.engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name=name)
        unit = make_unit(session, organisation=organisation)
        round_ = services.create_round(session, organisation, "Kevät 2026", served.framework)
        email = f"{name.lower().replace(' ', '-')}@example.com"
        make_user(session, email=email, organisation=organisation, role=Role.consultant)
        item = survey.open_survey(session, round_, unit, by=None)
        session.commit()
    return item, signed_in(served, email)


def test_sixty_new_respondents_at_once_from_one_address_get_only_the_limit(
        served: Served) -> None:
    item, _ = open_survey(served, "Survey Flood")
    factor = served.framework.factors[0]
    phones = [client() for _ in range(60)]
    for n, phone in enumerate(phones):
        with_csrf(phone, phone.get(served.url(n, f"/s/{item.code}")))
    responses = fire([lambda n=n, phone=phone: phone.post(
        served.url(n, f"/s/{item.code}"),
        data={"factor": factor.id, f"q-{factor.questions[0].id}": "3"})
        for n, phone in enumerate(phones)])
    no_server_errors(responses)
    started = count(served, select(func.count()).select_from(SurveyRespondent).where(
        SurveyRespondent.survey_id == item.id))
    print(f"\n[{served.database}] 60 new respondents at once from one address, limit "
          f"{JOINS_PER_ADDRESS}: {statuses(responses)}, {started} respondents")
    assert started == JOINS_PER_ADDRESS
    assert statuses(responses) == Counter({303: JOINS_PER_ADDRESS, 429: 60 - JOINS_PER_ADDRESS})


def test_no_answer_is_stored_after_the_survey_closes(served: Served) -> None:
    item, consultant = open_survey(served, "Survey Close")
    factor = served.framework.factors[0]
    question = factor.questions[0].id
    phones = []
    for n in range(PHONES):
        phone = client()
        with_csrf(phone, phone.get(served.url(n, f"/s/{item.code}")))
        started = phone.post(served.url(n, f"/s/{item.code}"),
                             data={"factor": factor.id, f"q-{question}": "1"})
        assert started.status_code == 303, started.text
        phones.append(phone)
    last_saved: dict[int, str] = {}
    stop = threading.Event()

    def keep_answering(n: int) -> Counter[int]:
        seen: Counter[int] = Counter()
        for attempt in range(400):
            level = str(attempt % 5 + 1)
            response = phones[n].post(served.url(n, f"/s/{item.code}"),
                                      data={"factor": factor.id, f"q-{question}": level})
            seen[response.status_code] += 1
            if response.status_code == 303:
                last_saved[n] = level
            elif response.status_code == 409 or stop.is_set():
                break
        return seen

    def close() -> httpx.Response:
        threading.Event().wait(0.3)  # let the answers flow first
        response = consultant.post(served.url(0, f"/surveys/{item.id}/close"))
        stop.set()
        return response

    closed, seen = together(close, [lambda n=n: keep_answering(n) for n in range(PHONES)])
    assert closed.status_code == 303, closed.text
    total = sum(seen, Counter())
    assert not [s for s in total if s >= 500], total
    assert total[409] >= 1, total  # some answers arrived after the close and were refused
    with Session(served.engine) as session:
        closed_at = session.exec(select(Survey.closed_at).where(Survey.id == item.id)).one()
        rows = session.exec(select(Answer).where(
            Answer.assessment_id == item.assessment_id, col(Answer.respondent_id).is_not(None),
            Answer.question_id == question)).all()
    assert closed_at is not None
    stored = sorted(str(row.level) for row in rows)
    print(f"\n[{served.database}] {PHONES} phones answering while the survey closes: {total}")
    # Every phone's stored answer is the last one it was told was saved: none after it.
    assert stored == sorted(last_saved.get(n, "1") for n in range(PHONES))
