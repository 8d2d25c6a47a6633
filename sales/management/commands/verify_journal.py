"""Check every register's journal against the rows as they are now."""

from django.core.management.base import BaseCommand, CommandError

from devices.models import Register
from sales.journal import verify_journal


class Command(BaseCommand):
    help = (
        "Recompute each journal entry's hash from the current sales, refunds and voids and walk each "
        "register's chain; report OK, or each edited, deleted, skipped or missing entry (exit status 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--register", metavar="CODE", help="Only this register's journal.")

    def handle(self, *args, register=None, **options):
        if register is not None and not Register.objects.filter(code=register).exists():
            raise CommandError(f"No register with code {register!r}.")
        problems = verify_journal(register_code=register)
        if not problems:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: the journal of {f'register {register}' if register else 'every register'} is intact."
                )
            )
            return
        for problem in problems:
            self.stdout.write(f"Register {problem.register}: {problem.message}")
        raise CommandError(f"{len(problems)} problem(s) in the journal.", returncode=1)
