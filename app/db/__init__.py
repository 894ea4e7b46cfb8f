"""The SQLite database: ORM models, engine set-up and Alembic migrations.

Only app/ opens sessions; views get plain rows through services.
"""
