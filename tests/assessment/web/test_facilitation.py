"""Guided facilitation over HTTP: agenda templates and the agenda editor, the timer on every
screen, the facilitator guide and the needs-and-expectations result as PDFs."""

from __future__ import annotations

import io
import time

import pypdf
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment import roadmap, services, workshops
from assessment.framework import Framework
from assessment.models import Need, Organisation, ReportJob, Workshop
from tests.assessment.web.test_reports import wait_until_finished
from tests.assessment.web.test_workshops import participant
from tests.factories import make_organisation, make_unit

HX = {"HX-Request": "true"}


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def start(client: TestClient, db: Session, framework: Framework,
          agenda: str | None = "full-maturity-workshop") -> tuple[Workshop, str]:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    data = {"agenda": agenda} if agenda else {}
    response = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops", data=data,
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return db.exec(select(Workshop)).one(), response.headers["location"]


def pdf_text(client: TestClient, job_url: str) -> tuple[int, str]:
    wait_until_finished(client, job_url)
    pdf = client.get(f"{job_url}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    return len(reader.pages), " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_round_page_offers_the_templates(client: TestClient, db: Session,
                                             framework: Framework) -> None:
    organisation = make_organisation(db)
    make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    page = soup(client.get(f"/rounds/{round_.id}"))
    options = [o.get_text(strip=True) for o in page.select("select[name=agenda] option")]
    assert options == ["Needs and expectations (60 min)", "Full maturity workshop (3 h)",
                       "Focus workshop (90 min, chosen factors)"]


def test_an_unknown_template_is_refused_and_nothing_stored(client: TestClient, db: Session,
                                                           framework: Framework) -> None:
    organisation = make_organisation(db)
    unit = make_unit(db, organisation=organisation, name="Asiakaspalvelu")
    round_ = services.create_round(db, organisation, "Kevät 2026", framework)
    db.commit()
    refused = client.post(f"/rounds/{round_.id}/units/{unit.id}/workshops",
                          data={"agenda": "coffee-break"})
    assert refused.status_code == 422
    assert "Choose one of the agenda templates." in refused.text
    assert db.exec(select(Workshop)).all() == []


def test_a_focus_workshop_opens_its_agenda_to_choose_factors(
        client: TestClient, db: Session, framework: Framework) -> None:
    workshop, location = start(client, db, framework, "focus-workshop")
    assert location == f"/workshops/{workshop.id}/agenda?choose=1"
    page = soup(client.get(location))
    assert "tick them below" in page.get_text()
    rows = page.select("table.agenda-form tbody tr")
    keys = [r.select_one("input[name=key]")["value"] for r in rows]
    assert keys[:4] == ["needs", "needs_vote", "targets", "wrapup"]  # no factor yet
    listening, goals = framework.factors[4].id, framework.factors[0].id
    form = {"key": keys, "use": ["needs", f"factor:{listening}", f"factor:{goals}", "targets",
                                 "wrapup"],
            "order": [str(n) for n in range(1, len(keys) + 1)],
            "minutes": ["10" if k in ("needs",) else "20" for k in keys]}
    for order, key in enumerate(["needs", f"factor:{goals}", f"factor:{listening}",
                                 "targets", "wrapup"], 1):
        form["order"][keys.index(key)] = str(order)
    saved = client.post(f"/workshops/{workshop.id}/agenda", data=form, follow_redirects=False)
    assert saved.status_code == 303
    db.refresh(workshop)
    plan = workshops.plan_of(workshop, framework)
    assert [i.key for i in plan.items] == ["needs", f"factor:{goals}", f"factor:{listening}",
                                           "targets", "wrapup"]
    console = soup(client.get(f"/workshops/{workshop.id}"))
    table = console.select_one("table.agenda-times")
    assert table is not None
    assert [th.get_text(" ", strip=True) for th in table.select("tbody th")][1] == \
        framework.factors[0].name["en"]
    assert table.select_one("tfoot").get_text(" ", strip=True).startswith("Whole agenda 90 min")


def test_bad_agendas_are_refused_with_the_values_kept(client: TestClient, db: Session,
                                                      framework: Framework) -> None:
    workshop, _ = start(client, db, framework)
    before = workshop.plan
    page = soup(client.get(f"/workshops/{workshop.id}/agenda"))
    keys = [i["value"] for i in page.select("input[name=key]")]
    base = {"key": keys, "order": [str(n) for n in range(1, len(keys) + 1)],
            "minutes": ["15"] * len(keys)}
    cases = [
        ({**base, "use": ["needs"], "minutes": ["0"] + ["15"] * (len(keys) - 1)},
         "A timebox is from 1 to 480 minutes."),
        ({**base, "use": ["needs"], "minutes": ["-5"] + ["15"] * (len(keys) - 1)},
         "A timebox is from 1 to 480 minutes."),
        ({**base, "use": ["needs"], "minutes": ["481"] + ["15"] * (len(keys) - 1)},
         "A timebox is from 1 to 480 minutes."),
        ({**base, "use": []}, "The agenda needs at least one step."),
        ({**base, "use": ["needs", "factor:no-such-factor"]},
         "Choose factors of the workshop's framework."),
        ({**base, "key": [*keys, "factor:no-such-factor"], "use": ["factor:no-such-factor"],
          "order": [*base["order"], "1"], "minutes": [*base["minutes"], "5"]},
         "Choose factors of the workshop's framework."),
    ]
    for form, message in cases:
        refused = client.post(f"/workshops/{workshop.id}/agenda", data=form)
        assert refused.status_code == 422, message
        assert soup(refused).select_one("#agenda-error").get_text(strip=True) == message
        db.refresh(workshop)
        assert workshop.plan == before
    # The typed values come back.
    refused = client.post(f"/workshops/{workshop.id}/agenda",
                          data={**base, "use": ["needs"],
                                "minutes": ["0"] + ["15"] * (len(keys) - 1)})
    first = soup(refused).select_one("table.agenda-form tbody tr")
    assert first.select_one("input[name=minutes]")["value"] == "0"
    assert first.select_one("input[name=use]").has_attr("checked")


def timer_of(page: BeautifulSoup) -> dict[str, str]:
    timer = page.select_one("[data-timer]")
    assert timer is not None
    return {"state": timer["data-timer-state"], "left": timer["data-timer-left-ms"],
            "clock": timer.select_one("[data-timer-clock]").get_text(strip=True),
            "up": "timer-up" in timer["class"]}


def test_the_timer_on_every_screen(app: FastAPI, client: TestClient, db: Session,
                                   framework: Framework) -> None:
    workshop, _ = start(client, db, framework)
    phone = participant(app, workshop.code)
    console = timer_of(soup(client.get(f"/workshops/{workshop.id}")))
    assert (console["state"], console["clock"]) == ("idle", "20:00")
    posting = time.monotonic()
    assert client.post(f"/workshops/{workshop.id}/timer", data={"action": "start"},
                       follow_redirects=False).status_code == 303
    posted = time.monotonic()
    # Every screen counts down from the one end time the start set: what each shows lies
    # between what was left when its request was sent and when it came back, however long
    # the machine took between the requests. Phones share a timer drawn per quarter second.
    for get, path, shared_ms in ((client.get, f"/workshops/{workshop.id}", 0),
                                 (client.get, f"/workshops/{workshop.id}/projector", 0),
                                 (phone.get, f"/w/{workshop.code}", 250)):
        sent = time.monotonic()
        screen = timer_of(soup(get(path)))
        back = time.monotonic()
        assert screen["state"] == "running", path
        left = int(screen["left"])
        assert 20 * 60_000 - (back - posting) * 1000 - 5 <= left, (path, left)
        assert left <= 20 * 60_000 - (sent - posted) * 1000 + shared_ms + 5, (path, left)
    # Pause: the polls see a change and every screen shows the time left, paused.
    assert client.post(f"/workshops/{workshop.id}/timer", data={"action": "pause"},
                       follow_redirects=False).status_code == 303
    db.refresh(workshop)
    phone_poll = phone.get(f"/w/{workshop.code}", headers=HX)
    assert timer_of(soup(phone_poll))["state"] == "paused"
    # At zero every screen says so; voting and posting go on.
    db.refresh(workshop)
    workshop.timer_left, workshop.timer_ends_at = None, workshops.utcnow()
    db.add(workshop)
    db.commit()
    for page in (client.get(f"/workshops/{workshop.id}"),
                 client.get(f"/workshops/{workshop.id}/projector"),
                 phone.get(f"/w/{workshop.code}")):
        timer = timer_of(soup(page))
        assert timer["up"] and timer["clock"] == "0:00" and "Time is up" in page.text
    assert phone.post(f"/w/{workshop.code}/needs", data={"text": "Mittarit"},
                      headers=HX).status_code == 200
    refused = client.post(f"/workshops/{workshop.id}/timer", data={"action": "explode"})
    assert refused.status_code == 422 and "Choose what to do with the timer." in refused.text


def test_a_shared_phone_screen_carries_each_phones_own_time(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    workshop, _ = start(client, db, framework)
    question = next(s.index for s in workshops.workshop_agenda(workshop, framework)
                    if s.kind is workshops.StepKind.question)
    client.post(f"/workshops/{workshop.id}/step", data={"index": str(question)})
    phones = [participant(app, workshop.code) for _ in range(2)]
    first = phones[0].get(f"/w/{workshop.code}", headers=HX)  # renders the shared step
    assert "\ue000" not in first.text
    second = phones[1].get(f"/w/{workshop.code}", headers=HX)  # from the cache
    assert "\ue000" not in second.text
    assert timer_of(soup(second))["state"] == "running"
    assert int(timer_of(soup(second))["left"]) <= int(timer_of(soup(first))["left"])


def test_the_facilitator_guide_pdf(client: TestClient, db: Session,
                                   framework: Framework) -> None:
    workshop, _ = start(client, db, framework)
    form = client.get(f"/workshops/{workshop.id}/guide")
    assert form.status_code == 200 and "Facilitator guide (PDF): Asiakaspalvelu" in form.text
    refused = client.post(f"/workshops/{workshop.id}/guide", data={"language": "sv"})
    assert refused.status_code == 422 and db.exec(select(ReportJob)).all() == []
    created = client.post(f"/workshops/{workshop.id}/guide", data={"language": "fi"},
                          follow_redirects=False)
    assert created.status_code == 303
    job = db.exec(select(ReportJob)).one()
    assert (job.kind, job.workshop_id) == ("guide", workshop.id)
    assert job.join_base is not None and job.join_base.endswith("/join")
    pages, text = pdf_text(client, created.headers["location"])
    assert pages >= 3
    assert "Fasilitaattorin opas" in text
    assert workshop.code in text
    assert "Koko kypsyystyöpaja (3 h)" in text  # the template's name, in Finnish
    assert "Tämä opas tulostettuna" in text  # the checklist
    assert framework.factors[0].questions[0].text["fi"][:40] in text
    # The timetable: targets start after 20 + 10 min and eight factors of 15; 3 h in all.
    assert "2:30 Tavoitetasot 20 min 2:50 Yhteenveto 10 min" in text
    assert "180 min" in text
    assert "Miten osallistujat liittyvät" in text and "Mitä ottaa mukaan" in text


def test_the_needs_result_pdf_and_phase_zero(client: TestClient, db: Session,
                                             framework: Framework) -> None:
    workshop, _ = start(client, db, framework, "needs-and-expectations")
    listening = framework.factors[4]
    db.add(Need(workshop_id=workshop.id, text="Kuulemme asiakkaat ajoissa",
                factor_id=listening.id))
    db.add(Need(workshop_id=workshop.id, text="Yhteinen vuosikello"))
    db.commit()
    organisation = db.get(Organisation, workshop.organisation_id)
    assert organisation is not None
    roadmap.create_phase(db, organisation, framework, roadmap.PhaseInput(
        "needs", "Tarvekartoitus", None, None, []))
    roadmap.create_phase(db, organisation, framework, roadmap.PhaseInput(
        "pilot", "Asiakaspalvelun pilotti", None, None, [listening.id]))
    db.commit()
    page = soup(client.get(f"/organisations/{organisation.id}/roadmap"))
    link = page.select_one("ul.needs-results a")
    assert link is not None
    url = f"/rounds/{workshop.round_id}/units/{workshop.unit_id}/needs"
    assert link["href"] == url
    created = client.post(url, data={"language": "en"}, follow_redirects=False)
    assert created.status_code == 303
    pages, text = pdf_text(client, created.headers["location"])
    assert pages == 1
    assert "Kuulemme asiakkaat ajoissa" in text and "Yhteinen vuosikello" in text
    assert "Asiakaspalvelun pilotti" in text and listening.name["en"] in text
    assert "Tarvekartoitus" in text
    # The unit report has the same table as a section of its own.
    unit_report = client.post(url.replace("/needs", "/report"), data={"language": "en"},
                              follow_redirects=False)
    _, report = pdf_text(client, unit_report.headers["location"])
    assert "Needs and expectations" in report and "Asiakaspalvelun pilotti" in report


def test_the_agenda_page_as_page_fragment_and_history_restore(
        client: TestClient, db: Session, framework: Framework) -> None:
    workshop, _ = start(client, db, framework)
    url = f"/workshops/{workshop.id}/agenda"
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.text
    fragment = client.get(url, headers=HX)
    assert "<html" not in fragment.text and soup(fragment).select_one("h1") is not None
    assert "Agenda: Asiakaspalvelu" in fragment.text
    restored = client.get(url, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text
    rows = soup(full).select("table.agenda-form tbody tr")
    assert len(rows) == 2 + len(framework.factors) + 2
    assert all(r.select_one("input[name=use]").has_attr("checked") for r in rows)


def test_a_needs_workshop_sums_up_its_needs_without_a_radar(
        app: FastAPI, client: TestClient, db: Session, framework: Framework) -> None:
    workshop, _ = start(client, db, framework, "needs-and-expectations")
    phone = participant(app, workshop.code)
    phone.post(f"/w/{workshop.code}/needs", data={"text": "Selkeät vastuut"}, headers=HX)
    client.post(f"/workshops/{workshop.id}/step", data={"index": "2"})
    wall = soup(client.get(f"/workshops/{workshop.id}/projector"))
    assert wall.select_one("svg.radar, .wrapup .chart") is None
    assert [li.get_text(" ", strip=True) for li in wall.select("ol.needs-wall li")] == \
        ["Selkeät vastuut 0 dots"]
    console = soup(client.get(f"/workshops/{workshop.id}"))
    assert console.select_one(".chart-with-table") is None
    assert console.select_one("ol.ranked-needs").get_text(" ", strip=True).startswith(
        "Selkeät vastuut")
    link = f"/rounds/{workshop.round_id}/units/{workshop.unit_id}/needs"
    assert console.select_one(f"a[href='{link}']") is not None
    ended = client.post(f"/workshops/{workshop.id}/close", follow_redirects=False)
    assert ended.status_code == 303
