"""Walk every MHA's hash chain and report the first broken link (exit status 1 if any)."""

from django.core.management.base import BaseCommand

from associations.models import Association
from remittances.chain import verify_chain


class Command(BaseCommand):
    help = "Verify the ledger's hash chain of each association; report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--association", type=int, help="Only this association id.")

    def handle(self, *args, association=None, **options):
        associations = Association.objects.order_by("pk")
        if association:
            associations = associations.filter(pk=association)
        broken = 0
        for mha in associations:
            state = verify_chain(mha.pk)
            if state.intact:
                self.stdout.write(f"{mha} (#{mha.pk}): {state.entries} entries, chain intact")
            else:
                broken += 1
                self.stdout.write(self.style.ERROR(
                    f"{mha} (#{mha.pk}): chain broken at entry {state.broken_at}: {state.problem}"))
        if broken:
            raise SystemExit(1)
