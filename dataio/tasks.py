"""Background tasks of imports (run by `kehu db_worker`): thin wrappers over the services."""

from __future__ import annotations

from django_tasks import task


@task()
def import_job_check_task(job_id: int) -> None:
    from dataio.services import import_job_check

    import_job_check(job_id=job_id)


@task()
def import_job_apply_task(job_id: int) -> None:
    from dataio.services import import_job_apply

    import_job_apply(job_id=job_id)
