"""Persistence: typed SQLAlchemy models, the async engine, and Alembic migrations."""

from bot.platform.storage import models
from bot.platform.storage.base import Base
from bot.platform.storage.engine import create_engine, session_factory

metadata = Base.metadata

__all__ = ["Base", "create_engine", "metadata", "models", "session_factory"]
