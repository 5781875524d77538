"""The register: one table the export, the erasure, the job and the document read."""

from pathlib import Path

from django.apps import apps
from django.conf import settings

from portal.privacy.document import register_markdown
from portal.privacy.register import REGISTER, Retention
from portal.privacy.retention import STEPS


def test_docs_privacy_md_is_the_register():
    """docs/privacy.md is what `manage.py privacy_register` writes from the table."""
    written = (Path(settings.BASE_DIR) / "docs" / "privacy.md").read_text("utf-8")
    assert written == register_markdown(), "run: manage.py privacy_register"


def test_every_row_names_real_fields_once():
    """Each kind is listed once and names a model and fields that exist."""
    kinds = [entry.kind for entry in REGISTER]
    assert len(kinds) == len(set(kinds))
    for entry in REGISTER:
        model = apps.get_model(entry.model)
        columns = {field.attname for field in model._meta.concrete_fields} | {
            field.name for field in model._meta.concrete_fields
        }
        for field in entry.fields + entry.mentions + entry.erase_mentions:
            assert field in columns, f"{entry.kind}: {field}"


def test_the_job_has_a_step_for_every_retention_that_ends_by_time():
    """Every retention the register names ends by a step of the job, or by the
    closure of the account (ACCOUNT)."""
    used = {entry.retention for entry in REGISTER}
    assert used - {Retention.ACCOUNT} <= set(STEPS)
    assert set(STEPS) <= used
