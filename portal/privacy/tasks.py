"""Personal-data tasks: thin, re-read by id, call a service."""

from celery import shared_task

from .models import DataExport


@shared_task(name="privacy.build_export", soft_time_limit=600, time_limit=660)
def data_export_build_task(export_id: int) -> str:
    from .export import data_export_build

    if not DataExport.objects.filter(pk=export_id).exists():
        return "missing"
    return data_export_build(export_id=export_id).status


@shared_task(name="privacy.retention", soft_time_limit=3000, time_limit=3300)
def retention_task() -> dict[str, int]:
    """The retention job (beat): delete what the register says has expired."""
    from .retention import retention_run

    return retention_run(dry_run=False)
