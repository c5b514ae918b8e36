"""Live screens across app processes: a change made at one process reaches the streams held
at another — by LISTEN/NOTIFY on PostgreSQL, by each process's one version query on SQLite.

Uses the two app processes of `test_races` (one SQLite file, then PostgreSQL).
"""

from __future__ import annotations

import httpx

from assessment import workshops
from tests.concurrency import test_races
from tests.concurrency.test_races import Served, join, move, open_room

# The two app processes, and closing the browsers after each test, as in test_races.
served = test_races.served
_close_browsers = test_races._close_browsers

TIMEOUT = httpx.Timeout(30, read=10)


def events(response: httpx.Response) -> object:
    """The stream's events as (name, id, data), as an EventSource reads them."""
    name, ident, data = "message", None, []
    for line in response.iter_lines():
        if line == "":
            if data or name != "message":
                yield name, ident, "\n".join(data)
            name, ident, data = "message", None, []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("id: "):
            ident = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


def test_a_move_at_one_process_reaches_phones_at_the_other(served: Served) -> None:
    room = open_room(served, "Virta Yksi")
    questions = [s for s in workshops.agenda(served.framework)
                 if s.kind is workshops.StepKind.question]
    phones = [join(served, room.workshop, n) for n in (1, 3)]  # both at the second process
    code = room.workshop.code
    with phones[0].stream("GET", served.url(1, f"/w/{code}/stream?v=0"),
                          timeout=TIMEOUT) as first, \
            phones[1].stream("GET", served.url(1, f"/w/{code}/stream?v=0"),
                             timeout=TIMEOUT) as second:
        streams = [events(first), events(second)]
        for stream in streams:
            assert next(stream)[0] == "hello"  # type: ignore[call-overload]
        for n, step in enumerate(questions[:3], 1):
            move(served, room, step.index)  # at the first process
            question = served.framework.question(step.question_id or "")[1]
            for stream in streams:
                name, ident, data = next(stream)  # type: ignore[call-overload]
                assert (name, ident) == ("step", str(n))
                assert f"/votes/{question.id}" in data


def test_the_console_at_one_process_counts_votes_cast_at_the_other(served: Served) -> None:
    room = open_room(served, "Virta Kaksi")
    step = next(s for s in workshops.agenda(served.framework)
                if s.kind is workshops.StepKind.question)
    move(served, room, step.index)
    phone = join(served, room.workshop, 1)
    with room.facilitator.stream("GET", served.url(0, f"/workshops/{room.workshop.id}/stream"),
                                 timeout=TIMEOUT) as console:
        stream = events(console)
        assert next(stream)[0] == "hello"  # type: ignore[call-overload]
        assert "1 participant" in next(stream)[2]  # type: ignore[call-overload]
        voted = phone.post(served.url(1, f"/w/{room.workshop.code}/votes/{step.question_id}"),
                           data={"choice": "2"})
        assert voted.status_code == 303
        name, _, data = next(stream)  # type: ignore[call-overload]
        assert name == "live" and "1 vote" in data
