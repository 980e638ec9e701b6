from celery import shared_task

from mha_portal.idempotency import idempotency_records_purge


@shared_task(name="mha_portal.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
