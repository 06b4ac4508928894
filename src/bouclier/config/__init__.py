"""bouclier.yaml: pydantic models, loading with file:line errors, JSON Schema."""

from bouclier.config.loader import DEFAULT_CONFIG, LoadedConfig, load_config
from bouclier.config.schema import Config, SuiteConfig


def json_schema() -> dict:
    """The JSON Schema of bouclier.yaml, generated from the models."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bouclier.yaml"
    return schema


__all__ = ["Config", "SuiteConfig", "LoadedConfig", "load_config", "json_schema", "DEFAULT_CONFIG"]
