from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import export_services


# No retries: a second run would find the export no longer queued and do nothing.
@db_task()
def export_build_task(export_id: int) -> None:
    export_services.export_build(export_id=export_id)
