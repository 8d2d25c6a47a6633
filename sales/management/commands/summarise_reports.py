"""Summarise the dashboard's closed days and months ahead of time (a nightly job), or again."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inventory.models import Store
from sales import report_periods
from sales.reports import Scope


class Command(BaseCommand):
    help = (
        "Summarise each store's closed local days and whole months of the last DAYS days, so the first "
        "dashboard of the morning reads summaries. --rebuild forgets those summaries first: run it after "
        "sales were written into the past (an import of historical sales)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=400, help="How far back (default: 400 days).")
        parser.add_argument("--store", metavar="CODE", help="Only this store.")
        parser.add_argument("--rebuild", action="store_true", help="Forget the summaries and summarise again.")

    def handle(self, *args, days, store=None, rebuild=False, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        stores = Store.objects.order_by("code")
        if store is not None:
            stores = stores.filter(code=store)
            if not stores:
                raise CommandError(f"No store with code {store!r}.")
        for each in stores:
            today = timezone.localdate(timezone.now(), ZoneInfo(each.timezone))
            scope = Scope(stores=(each,), date_from=today - timedelta(days=days - 1), date_to=today)
            forgotten = report_periods.forget(scope.stores, scope.date_from, scope.date_to) if rebuild else 0
            written = report_periods.summarise_scope(scope)
            self.stdout.write(
                f"Store {each.code}: {written} period(s) summarised"
                + (f", {forgotten} summary row(s) forgotten first" if rebuild else "")
                + "."
            )
