"""The shared pricing vectors: the server and the offline register's JS price every cart alike."""

import json
import re
import shutil
import subprocess
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from retailpos.money import CURRENCY_DECIMALS, quantize_money
from sales.pricing import LineInput, Tender, price_cart, settle

TESTS = Path(__file__).resolve().parents[1]
BASE_DIR = TESTS.parent
VECTORS = json.loads((TESTS / "pricing_vectors.json").read_text())
NOT_MONEY = {"code", "rate"}


def price(vector):
    lines = [
        LineInput(
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            tax_code=line["tax_code"],
            tax_rate=Decimal(line["tax_rate"]),
            discount_percent=Decimal(line["discount_percent"]),
        )
        for line in vector["lines"]
    ]
    totals = price_cart(lines, currency=vector["currency"], prices_include_tax=vector["prices_include_tax"])
    settlement = settle(
        totals.total, [Tender(tender["method"], Decimal(tender["amount"])) for tender in vector["tenders"]]
    )
    return totals, settlement


def results(totals, settlement, money) -> dict:
    """The vector's ``expect`` shape, with ``money`` applied to every amount."""
    return {
        "subtotal": money(totals.subtotal),
        "discount_total": money(totals.discount_total),
        "taxes": [
            {
                "code": tax.code,
                "rate": f"{tax.rate:f}",
                "net": money(tax.net),
                "tax": money(tax.tax),
                "gross": money(tax.gross),
            }
            for tax in totals.taxes
        ],
        "tax_total": money(totals.tax_total),
        "total": money(totals.total),
        "lines": [
            {"amount": money(line.amount), "discount_amount": money(line.discount_amount)} for line in totals.lines
        ],
        "paid": money(settlement.paid),
        "remaining": money(settlement.remaining),
        "change": money(settlement.change),
        "non_cash_excess": money(settlement.non_cash_excess),
    }


def as_decimals(expected, key=None):
    if isinstance(expected, dict):
        return {name: as_decimals(value, name) for name, value in expected.items()}
    if isinstance(expected, list):
        return [as_decimals(item) for item in expected]
    return expected if key in NOT_MONEY else Decimal(expected)


def as_text(currency):
    return lambda amount: f"{quantize_money(amount, currency):f}"


def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js is needed to test static/js/pricing.js: apt-get install nodejs (make test does it)")
    return path


def test_vectors_have_unique_names():
    names = [vector["name"] for vector in VECTORS]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_python_prices_every_vector_as_written(vector):
    totals, settlement = price(vector)

    assert results(totals, settlement, lambda amount: amount) == as_decimals(vector["expect"])
    # The same again as text: "-0.00" is not "0.00", and money has the currency's decimals.
    assert results(totals, settlement, as_text(vector["currency"])) == vector["expect"]


CONTEXT_VECTORS = [vector for vector in VECTORS if vector["name"].startswith("28-digit context")]


@pytest.mark.parametrize("vector", CONTEXT_VECTORS, ids=[vector["name"] for vector in CONTEXT_VECTORS])
def test_the_28_digit_vectors_come_out_otherwise_in_exact_maths(vector):
    # Keeps these vectors honest: the JS must mirror Python's 28-digit context, not merely be exact.
    with localcontext() as context:
        context.prec = 100
        totals, settlement = price(vector)

    assert results(totals, settlement, as_text(vector["currency"])) != vector["expect"]


def test_javascript_prices_every_vector_as_written():
    tests = sorted(str(path) for path in (TESTS / "js").glob("*.test.mjs"))
    result = subprocess.run(
        [node(), "--test", "--test-reporter=tap", *tests],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    passed = {match[1] for match in re.finditer(r"^\s*ok \d+ - (.+)$", result.stdout, re.MULTILINE)}
    assert {vector["name"] for vector in VECTORS} <= passed, report
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE), report


def test_javascript_knows_the_same_currency_decimals():
    module = (BASE_DIR / "static" / "js" / "pricing.js").as_uri()
    script = (
        f"import {{ CURRENCY_DECIMALS }} from {json.dumps(module)}; console.log(JSON.stringify(CURRENCY_DECIMALS));"
    )
    result = subprocess.run(
        [node(), "--input-type=module", "--eval", script], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == CURRENCY_DECIMALS
