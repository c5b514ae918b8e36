"""Alembic environment: migrates the engine handed over by `assessment.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from assessment.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


engine = config.attributes["engine"]
with engine.connect() as connection:
    _run(connection)
    connection.commit()
