import getpass
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sales.approvals import set_pin
from sales.exceptions import ApprovalRefused


class Command(BaseCommand):
    help = "Set a supervisor's or manager's counter PIN (4–12 digits; asked twice, never on the command line)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input (scripts)")

    def handle(self, *args, username, pin_stdin, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if pin_stdin:
            pin = sys.stdin.readline().strip()
        else:
            pin = getpass.getpass("New PIN: ")
            if getpass.getpass("Again: ") != pin:
                raise CommandError("The two PINs differ; nothing changed.")
        try:
            set_pin(user=user, pin=pin)
        except ApprovalRefused as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"PIN of {username} set.")
