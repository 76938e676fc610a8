"""Typed stack settings: the only place that reads Pulumi config, validated once (pydantic models + rules)."""

from components.settings.base import PROJECT, PROJECT_DIR, ConfigError
from components.settings.loading import load_settings, settings_from_config
from components.settings.models import Settings

__all__ = ["PROJECT", "PROJECT_DIR", "ConfigError", "Settings", "load_settings", "settings_from_config"]
