"""The managers' dashboard in the back office, its CSV exports and its live "today" fragment.

Managers only (``sales.view_reports``): a cashier gets 403 on each. Every view parses the store
and dates, calls ``sales.reports.dashboard`` once and renders its tables (page) or one of them (CSV).
"""

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from sales import reports
from sales.charts import bar_chart
from sales.forms import DashboardForm
from sales.report_tables import REPORTS, report_tables, write_csv
from sales.templatetags.pos import money

# How often an open dashboard asks for today's figures again (the sale path pushes nothing).
LIVE_POLL_SECONDS = 10


def manager_view(view):
    return require_GET(login_required(permission_required("sales.view_reports", raise_exception=True)(view)))


@manager_view
def dashboard(request):
    form = _form(request)
    context = {**admin.site.each_context(request), "title": "Sales dashboard", "form": form}
    scope = _scope(form)
    if scope is None:
        return render(request, "sales/dashboard.html", context, status=400)
    board = reports.dashboard(scope)
    today = _today_scope(form.cleaned_data["store"])
    context.update(
        scope=scope,
        board=board,
        tables=report_tables(board),
        charts=dashboard_charts(board),
        query=form_query(form),
        today=_today_context(today, form_query(form)),
        poll_seconds=LIVE_POLL_SECONDS,
    )
    return render(request, "sales/dashboard.html", context)


@manager_view
def dashboard_csv(request, report):
    form = _form(request)
    scope = _scope(form)
    if scope is None:
        return HttpResponse(_errors_text(form), status=400, content_type="text/plain; charset=utf-8")
    if report not in REPORTS:
        raise Http404(f"No report {report!r}: one of {', '.join(REPORTS)}.")
    tables = report_tables(reports.dashboard(scope))
    store = form.cleaned_data["store"]
    name = f"{report}-{store.code if store else 'all-stores'}-{scope.date_from}-{scope.date_to}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    write_csv(response, tables[report], currency=scope.currency)
    return response


@manager_view
def dashboard_today(request):
    """Today's figures, polled by the open dashboard every few seconds (htmx)."""
    form = DashboardForm({"store": request.GET.get("store", ""), "date_from": "2000-01-01", "date_to": "2000-01-01"})
    if not form.is_valid():
        return HttpResponse(_errors_text(form), status=400, content_type="text/plain; charset=utf-8")
    try:
        scope = _today_scope(form.cleaned_data["store"])
    except reports.ScopeError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    context = {"today": _today_context(scope, request.GET.urlencode()), "poll_seconds": LIVE_POLL_SECONDS}
    return render(request, "sales/partials/dashboard-today.html", context)


def _form(request) -> DashboardForm:
    data = request.GET.copy()
    if not data.get("date_from") and not data.get("date_to"):
        # This month so far, in the chosen store's timezone (else the installation's).
        today = _local_today(None)
        data.setdefault("date_from", today.replace(day=1).isoformat())
        data.setdefault("date_to", today.isoformat())
    return DashboardForm(data)


def _scope(form: DashboardForm) -> reports.Scope | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return reports.Scope.of(store=data["store"], date_from=data["date_from"], date_to=data["date_to"])
    except reports.ScopeError as exc:
        form.add_error("store", str(exc))
        return None


def _local_today(store):
    if store is None:
        return timezone.localdate()
    return datetime.now(ZoneInfo(store.timezone)).date()


def _today_scope(store) -> reports.Scope:
    scope = reports.Scope.of(store=store, date_from=date.min, date_to=date.min)  # checks the stores first
    today = _local_today(store)
    return replace(scope, date_from=today, date_to=today)


def _today_context(scope: reports.Scope, query: str) -> dict:
    board = reports.dashboard(scope, today_only=True)
    hours = [(f"{hour:02d}", gross) for hour, _, gross in board.by_hour()]
    return {
        "scope": scope,
        "summary": board.summary,
        "query": query,
        "chart": bar_chart(
            hours,
            title="Today's revenue by hour",
            value_title=f"Revenue ({scope.currency})",
            category_title="Hour of day (store time)",
            format_value=lambda value: money(value, scope.currency),
        ),
    }


def dashboard_charts(board: reports.Dashboard) -> dict:
    currency = board.currency

    def in_currency(value):
        return money(value, currency)

    return {
        "by_hour": bar_chart(
            [(f"{hour:02d}", gross) for hour, _, gross in board.by_hour()],
            title="Revenue by hour of day",
            value_title=f"Revenue ({currency})",
            category_title="Hour of day (store time)",
            format_value=in_currency,
        ),
        "by_day": bar_chart(
            [(day.strftime("%d %b"), gross) for day, _, gross in board.by_day()],
            title="Revenue by day",
            value_title=f"Revenue ({currency})",
            category_title="Day (store time)",
            format_value=in_currency,
        ),
        "categories": bar_chart(
            [(row.label, row.net) for row in board.categories],
            title="Net revenue by category",
            value_title=f"Net revenue ({currency})",
            category_title="Category",
            format_value=in_currency,
            horizontal=True,
        ),
        "payments": bar_chart(
            [(row.label, row.amount) for row in board.payments],
            title="Payment methods",
            value_title=f"Amount ({currency})",
            category_title="Method",
            format_value=in_currency,
            horizontal=True,
        ),
    }


def form_query(form: DashboardForm) -> str:
    data = form.cleaned_data
    store = data.get("store")
    return f"store={store.pk if store else ''}&date_from={data['date_from']}&date_to={data['date_to']}"


def _errors_text(form: DashboardForm) -> str:
    return "\n".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
