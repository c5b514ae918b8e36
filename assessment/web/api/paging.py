"""Pages of a list: `limit` (1–200) items from `offset`; anything else is a 422."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from assessment.services import MAX_ID
from assessment.web.api.schemas import Page

MAX_LIMIT = 200
T = TypeVar("T")
S = TypeVar("S")


@dataclass(frozen=True)
class Paging:
    """Which part of a list a request asks for."""

    limit: int
    offset: int

    def page(self, rows: Sequence[S], convert: Callable[[S], T]) -> Page[T]:
        """The asked-for part of `rows`, converted, with the list's total."""
        chosen = rows[self.offset:self.offset + self.limit]
        return Page[T](items=[convert(row) for row in chosen], total=len(rows),
                       limit=self.limit, offset=self.offset)


def paging(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 50,
           offset: Annotated[int, Query(ge=0, le=MAX_ID,
                                        description="Items to skip")] = 0) -> Paging:
    """The request's page."""
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(paging)]
