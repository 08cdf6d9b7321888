"""Alembic environment: run the migrations on the connection the store hands over.

The tool applies its own migrations (:func:`mailwarden.reports.store.engine.migrate`);
there is no ``alembic.ini`` and no command-line use is needed.
"""

from __future__ import annotations

from alembic import context

from mailwarden.reports.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
