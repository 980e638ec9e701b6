"""Walk every MHA's hash chain, compare its end with the book, and optionally prove that the
chain still contains every checkpoint (chain head) a donor was given. Exit status 1 on any
failure."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from associations.models import Association
from remittances.chain import verify_chain
from remittances.integrity import CheckpointFileError, read_checkpoints, verify_checkpoints


class Command(BaseCommand):
    help = ("Verify the ledger's hash chain of each association (every link, and its end against the book); "
            "with --checkpoints FILE (a report's XLSX annex or a CSV of association,sequence,hash), also prove "
            "the chain still contains every checkpoint.")

    def add_arguments(self, parser):
        parser.add_argument("--association", type=int, help="Only this association id.")
        parser.add_argument("--checkpoints", type=Path, help="XLSX annex or CSV: association,sequence,hash.")

    def handle(self, *args, association=None, checkpoints=None, **options):
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
        if checkpoints is not None:
            broken += self._checkpoints(checkpoints, association)
        if broken:
            raise SystemExit(1)

    def _checkpoints(self, path: Path, association: int | None) -> int:
        try:
            found = read_checkpoints(path)
        except (CheckpointFileError, OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from None
        if association:
            found = [c for c in found if c.association_id == association]
        results = verify_checkpoints(found)
        failed = [r for r in results if not r.ok]
        for result in failed:
            c = result.checkpoint
            self.stdout.write(self.style.ERROR(
                f"checkpoint association #{c.association_id} entry {c.sequence} ({c.hash_prefix[:16]}), "
                f"line {c.line}: {result.problem}: {result.detail}"))
        if failed:
            first = failed[0].checkpoint
            self.stdout.write(self.style.ERROR(
                f"{len(failed)} of {len(results)} checkpoints fail; the first: association #{first.association_id} "
                f"entry {first.sequence} is {failed[0].problem}"))
        else:
            self.stdout.write(f"{len(results)} checkpoints: every one is still in the chain")
        return len(failed)
