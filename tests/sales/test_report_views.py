"""The dashboard page, its CSV exports and its live fragment over HTTP: who may see them, and that they agree."""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from sales.report_tables import report_tables
from sales.reports import Scope, dashboard
from sales.services import LineRequest, PaymentRequest
from tests.conftest import DAY, sell
from tests.factories import StoreFactory, UserFactory

QUERY = {"date_from": "2026-02-10", "date_to": "2026-02-10"}


class TableReader(HTMLParser):
    """The text of each ``<table data-report=…>`` on a page: {slug: [header, *rows]}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current = self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-report" in attrs:
            self.current = self.tables.setdefault(attrs["data-report"], [])
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def screen_tables(html: str) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


def as_plain(text: str) -> str:
    """A cell as the page shows it, written as the CSV does: €1,234.50 → 1234.50, 12.5 % → 12.5, — → ''."""
    if text == "—":
        return ""
    if re.fullmatch(r"−?€?[\d,]+(\.\d+)?( %)?", text):
        return text.replace("−", "-").replace("€", "").replace(",", "").removesuffix(" %")
    return text


@pytest.fixture
def manager_client(client, db):
    client.force_login(UserFactory(username="boss", role="manager"))
    return client


def test_a_cashier_gets_403_on_the_dashboard_its_csv_and_its_live_figures(client, cashier):
    client.force_login(cashier)
    for url in (reverse("dashboard"), reverse("dashboard-csv", args=["summary"]), reverse("dashboard-today")):
        assert client.get(url, QUERY).status_code == 403, url


def test_logged_out_is_sent_to_log_in(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_every_csv_equals_its_table_on_the_page(manager_client, shops):
    page = manager_client.get(reverse("dashboard"), QUERY)
    assert page.status_code == 200
    on_screen = screen_tables(page.content.decode())
    slugs = set(report_tables(dashboard(Scope.of(store=None, date_from=DAY, date_to=DAY))))
    assert set(on_screen) == slugs
    for slug in slugs:
        response = manager_client.get(reverse("dashboard-csv", args=[slug]), QUERY)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="{slug}-all-stores-2026-02-10-2026-02-10.csv"' in response["Content-Disposition"]
        exported = list(csv.reader(io.StringIO(response.content.decode())))
        shown = on_screen[slug]
        if shown[1:] == [["Nothing to show."]]:
            shown = shown[:1]
        assert shown[0] == exported[0], slug  # the headers as they are
        assert [[as_plain(cell) for cell in row] for row in shown[1:]] == exported[1:], slug


def test_the_page_shows_the_hand_computed_figures_formatted_for_the_store(manager_client, shops):
    page = manager_client.get(reverse("dashboard"), {**QUERY, "store": shops["berlin"].pk}).content.decode()
    summary = dict(screen_tables(page)["summary"][1:])
    assert summary["Revenue (gross)"] == "€26.89"  # S1 16.18 + S2 10.71
    assert summary["Net"] == "€23.00"
    assert summary["Number of sales"] == "2"
    assert summary["Gross margin"] == "€11.00"  # net 23.00 − cost (2 milk × 1.00 + 2 wine × 5.00)
    assert page.count("<svg") >= 5  # four charts and today's hours
    summary_csv = manager_client.get(
        reverse("dashboard-csv", args=["summary"]), {**QUERY, "store": shops["berlin"].pk}
    ).content.decode()
    assert "Revenue (gross),26.89" in summary_csv


def test_line_voids_per_cashier_on_the_page_and_in_the_csv_with_their_red_flag(manager_client, shops):
    page = manager_client.get(reverse("dashboard"), QUERY).content.decode()
    header, *rows = screen_tables(page)["cashiers"]
    assert header[5:8] == ["Voids", "Line voids", "Line voids amount"]
    bob = next(row for row in rows if row[0] == "bob")
    assert (bob[6], bob[7], bob[-1]) == ("5", "€32.36", "line-voids")
    # The flagged cell is the line voids count, and only it, in bob's row.
    bob_row = re.search(r"<tr><td[^>]*>bob</td>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r'<td class="([^"]*)"', bob_row)
    assert [index for index, classes in enumerate(cells, start=1) if "report__cell--flag" in classes] == [6]
    exported = manager_client.get(reverse("dashboard-csv", args=["cashiers"]), QUERY).content.decode()
    assert "bob,2,22.61,1.19,5.0,1,5,32.36,0,1,line-voids" in exported.splitlines()


def test_bad_input_names_the_field(manager_client, db):
    response = manager_client.get(reverse("dashboard"), {"date_from": "2026-02-10", "date_to": "2026-02-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    response = manager_client.get(reverse("dashboard-csv", args=["summary"]), {"date_from": "10.2.", "date_to": "x"})
    assert response.status_code == 400
    assert "date_from: Enter a date as YYYY-MM-DD." in response.content.decode()
    assert manager_client.get(reverse("dashboard-csv", args=["nope"]), QUERY).status_code == 404


def test_todays_figures_follow_a_sale_completed_after_the_page_was_drawn(manager_client, shops):
    url = reverse("dashboard-today")
    before = manager_client.get(url, {"store": shops["berlin"].pk}).content.decode()
    assert re.search(r'data-figure="sales">0<', before)
    register = shops["S1"].register
    sell(
        register, shops["S1"].cashier, datetime.now(UTC),
        [LineRequest(shops["wine"], D("2"))], [PaymentRequest("card", D("23.80"))],
    )  # fmt: skip
    after = manager_client.get(url, {"store": shops["berlin"].pk}).content.decode()
    assert re.search(r'data-figure="sales">1<', after)
    assert 'data-figure="revenue">€23.80<' in after
    assert 'hx-trigger="every 10s"' in after


def test_the_admin_index_links_managers_to_the_dashboard(manager_client):
    assert reverse("dashboard") in manager_client.get(reverse("admin:index")).content.decode()


def test_a_store_with_an_unknown_timezone_is_named_not_a_500(manager_client, db):
    store = StoreFactory(code="moon", timezone="Moon/Base")
    response = manager_client.get(reverse("dashboard"), {**QUERY, "store": store.pk})
    assert response.status_code == 400
    assert "Store moon has an unknown timezone &#x27;Moon/Base&#x27;" in response.content.decode()
    response = manager_client.get(reverse("dashboard-today"), {"store": store.pk})
    assert (response.status_code, response.content.decode()) == (
        400,
        "Store moon has an unknown timezone 'Moon/Base': set it in the back office.",
    )
