"""Load the demo shop: one store, two registers, ~200 products, a cashier and a manager.

Safe to run again: it only adds what is missing, and prints the demo logins each time.
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from devices.demo import install_demo_print_agent
from devices.models import Register
from inventory.models import Store
from inventory.sample_catalog import install_sample_catalog
from sales import roles
from sales.approvals import set_pin
from sales.models import Shift, StaffPin
from sales.shifts import open_shift

PIN_SUFFIX = "-pin"  # the supervisor's counter PIN is kept in demo-logins.txt as "supervisor-pin <pin>"

DEMO_USERS = [
    # username, role, is_staff (may open the back office)
    ("cashier", roles.CASHIER, False),
    ("supervisor", roles.SUPERVISOR, False),
    ("manager", roles.MANAGER, True),
]

# The opening float of the demo shifts: 100.00 in notes and coins.
DEMO_FLOAT = {"20.00": 2, "10.00": 4, "5.00": 2, "1.00": 5, "0.50": 6, "0.20": 5, "0.10": 10}


class Command(BaseCommand):
    help = "Create the demo store, registers, catalogue and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=200)
        parser.add_argument(
            "--demo-agent",
            metavar="SERVER_URL",
            help="also pair a demo print agent for R1 with this server (config in var/agent/, "
            "receipts to var/printer/receipts.escpos); make run starts it",
        )

    def handle(self, *args, products, demo_agent=None, **options):
        with transaction.atomic():
            store, _ = Store.objects.get_or_create(
                code="main",
                defaults={"name": "Demo Shop", "currency": "EUR", "prices_include_tax": True},
            )
            for code, name in (("R1", "Register 1"), ("R2", "Register 2")):
                Register.objects.get_or_create(code=code, defaults={"store": store, "name": name})
            passwords = self._demo_users()
            self._open_demo_shifts(opened_by=get_user_model().objects.get(username="cashier"))
        created = install_sample_catalog(store=store, count=products)
        self.stdout.write(
            f"Demo store {store.code}: {created} products added, registers R1 and R2 (each with an open shift)."
        )
        if demo_agent:
            self._demo_agent(Register.objects.get(code="R1"), demo_agent)
        self.stdout.write(self.style.SUCCESS(f"Demo logins ({demo_agent or 'http://127.0.0.1:8000'}/):"))
        for username, password in passwords.items():
            if username.endswith(PIN_SUFFIX):
                continue
            pin = passwords.get(f"{username}{PIN_SUFFIX}")
            self.stdout.write(f"  {username:<10} password: {password}" + (f"  counter PIN: {pin}" if pin else ""))

    def _open_demo_shifts(self, *, opened_by) -> None:
        """Leave R1 and R2 ready to sell: a shift with a 100.00 float on each that has none open."""
        for register in Register.objects.filter(code__in=["R1", "R2"]).select_related("store"):
            if not Shift.objects.filter(register=register, state=Shift.State.OPEN).exists():
                open_shift(shift_id=uuid.uuid4(), register=register, opened_by=opened_by, opening_counts=DEMO_FLOAT)

    def _demo_agent(self, register, server: str) -> None:
        agent = install_demo_print_agent(
            register=register,
            server=server,
            data_dir=settings.VAR_DIR / "agent",
            printer_file=settings.VAR_DIR / "printer" / "receipts.escpos",
        )
        printer = agent.printer
        where = printer.address if printer.kind == printer.Kind.FILE else f"{printer.kind} printer {printer.address}"
        self.stdout.write(
            f"Demo print agent for {register.code} ({'paired now' if agent.paired_now else 'paired before'}, "
            f"config in {agent.data_dir}): receipts print to {where}"
        )

    def _demo_users(self) -> dict[str, str]:
        """Random passwords on first run, kept in var/ (not in git) so later runs can print them."""
        password_file = settings.VAR_DIR / "demo-logins.txt"
        known = {}
        if password_file.exists():
            known = dict(line.split(" ", 1) for line in password_file.read_text().splitlines() if " " in line)
        User = get_user_model()
        passwords = {}
        for username, role, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
            password = known.get(username)
            if created or not password or not user.check_password(password):
                password = f"{username}-{secrets.token_urlsafe(6)}"
                user.set_password(password)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
            passwords[username] = password
            if role == roles.SUPERVISOR:
                passwords[f"{username}{PIN_SUFFIX}"] = self._demo_pin(user, known.get(f"{username}{PIN_SUFFIX}"))
        password_file.write_text("".join(f"{name} {pw}\n" for name, pw in passwords.items()))
        password_file.chmod(0o600)
        return passwords

    def _demo_pin(self, user, known: str | None) -> str:
        """The demo supervisor's counter PIN (for approvals), random on first run, kept like the passwords."""
        staff_pin = StaffPin.objects.filter(user=user).first()
        if known and staff_pin and check_password(known, staff_pin.pin_hash):
            return known
        pin = f"{secrets.randbelow(10**6):06d}"
        set_pin(user=user, pin=pin)
        return pin
