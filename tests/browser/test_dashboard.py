"""The managers' dashboard in Chromium: it draws its charts, and today's figures follow new sales."""

import threading
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from playwright.sync_api import expect

from sales.report_views import LIVE_POLL_SECONDS
from sales.services import LineRequest, PaymentRequest
from tests.browser.conftest import SCREENSHOTS, new_page
from tests.conftest import PASSWORD, sell
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, chromium):
    errors = []
    yield new_page(chromium, live_server.url, errors)
    assert not errors, errors


def in_another_thread(work):
    """Write from a thread without Playwright's event loop (a sale's after-commit pushes need one of their own)."""

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


def test_the_dashboard_draws_its_charts_and_todays_figures_follow_a_new_sale(shops, page):
    UserFactory(username="boss", role="manager")
    page.goto("/admin/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Sales dashboard").click()
    page.get_by_role("textbox", name="From", exact=True).fill("2026-02-10")
    page.get_by_role("textbox", name="To", exact=True).fill("2026-02-11")
    page.get_by_role("button", name="Show").click()

    charts = page.locator(".dashboard-charts svg.chart__svg")
    expect(charts).to_have_count(4)
    for index in range(4):
        chart = charts.nth(index)
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 80
        # Bars with a height (vertical) or a width (horizontal), and labelled axes.
        drawn = chart.locator("rect.chart__bar").evaluate_all(
            "bars => bars.filter(bar => bar.getBBox().width > 0 && bar.getBBox().height > 0).length"
        )
        assert drawn >= 2, index  # by day: the 10th up, the 11th (more refunded than sold) down
        assert chart.locator("text.chart__axis-title").count() >= 1
    by_day = charts.nth(1)
    expect(by_day.locator("text.chart__tick").first).to_have_text("−€20.00")
    expect(by_day.locator("rect.chart__bar title")).to_have_text(["10 Feb: €47.77", "11 Feb: −€9.76"])
    # 47.77 on the 10th, 2.14 − 11.90 on the 11th
    expect(page.locator('#report-summary td:right-of(:text("Revenue (gross)"))').first).to_have_text("€38.01")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)

    # Today, live: a sale completed elsewhere shows without a reload, within the polling interval.
    sales_today = page.locator('#dashboard-today [data-figure="sales"]')
    before = int(sales_today.inner_text())
    in_another_thread(
        lambda: sell(
            shops["S1"].register, shops["S1"].cashier, datetime.now(UTC),
            [LineRequest(shops["wine"], D("1"))], [PaymentRequest("card", D("11.90"))],
        )
    )  # fmt: skip
    expect(sales_today).to_have_text(str(before + 1), timeout=(LIVE_POLL_SECONDS + 5) * 1000)
