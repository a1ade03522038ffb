"""docs/configuration.md is generated from Settings and must be current."""

from app.core.config import Settings
from app.ops import configdoc


def test_committed_configuration_doc_is_current() -> None:
    assert configdoc.TARGET.read_text(encoding="utf-8") == configdoc.render(), (
        "docs/configuration.md is stale: run python -m app.ops.configdoc")


def test_every_setting_is_documented() -> None:
    text = configdoc.render()
    for name, field in Settings.model_fields.items():
        assert f"`ROUNDS_{name.upper()}`" in text
        assert field.description, f"Settings.{name} needs an attribute docstring"
