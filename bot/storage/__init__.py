"""Persistence: typed SQLAlchemy models, the async engine, and Alembic migrations."""

from bot.storage import models
from bot.storage.base import Base
from bot.storage.engine import create_engine, session_factory

metadata = Base.metadata

__all__ = ["Base", "create_engine", "metadata", "models", "session_factory"]
