"""Write tests/pricing_vectors.json: carts priced by ``sales.pricing``, checked in Python and JS.

The committed JSON is the source of truth. After adding or changing a case here, run
``python -m tests.make_pricing_vectors`` and review the diff before committing it.
"""

import json
import re
from decimal import Decimal
from pathlib import Path

from retailpos.money import quantize_money
from sales.pricing import LineInput, Tender, price_cart, settle

VECTORS = Path(__file__).with_name("pricing_vectors.json")


def line(quantity, unit_price, tax_code, tax_rate, discount_percent="0"):
    return {
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_code": tax_code,
        "tax_rate": tax_rate,
        "discount_percent": discount_percent,
    }


def pay(method, amount):
    return {"method": method, "amount": amount}


def case(name, currency, prices_include_tax, lines, tenders=()):
    return {
        "name": name,
        "currency": currency,
        "prices_include_tax": prices_include_tax,
        "lines": lines,
        "tenders": list(tenders),
    }


# A cart of 12.34 EUR to try the tenders on.
CART_12_34 = [line("1", "12.34", "standard", "19")]

# A long receipt: 60 lines over three rates, prices 0.37 apart.
LONG_RECEIPT = [
    line(str(1 + index % 3), f"{Decimal(index) * Decimal('0.37') + Decimal('0.49')}", code, rate)
    for index, (code, rate) in enumerate([("standard", "19"), ("reduced", "7"), ("zero", "0")] * 20)
]

CASES = [
    # --- Tax-inclusive stores (gross prices): tax is extracted per rate ---------------------------
    case("inclusive: one line at 19 %, cash with change", "EUR", True,
         [line("1", "2.99", "standard", "19")], [pay("cash", "5.00")]),
    case("inclusive: 19 % and 7 % in one cart, card pays exactly", "EUR", True,
         [line("2", "1.19", "standard", "19"), line("1", "2.14", "reduced", "7")], [pay("card", "4.52")]),
    case("inclusive: 0 %, 7 % and 19 % lines, taxes sorted by rate", "EUR", True,
         [line("1", "12.99", "standard", "19"), line("1", "9.95", "reduced", "7"), line("1", "4.50", "zero", "0")],
         [pay("card", "20.00"), pay("cash", "10.00")]),
    case("inclusive: French 5.5 % and 20 %, mobile pays exactly", "EUR", True,
         [line("3", "1.89", "fr-reduced", "5.5"), line("2", "4.99", "fr-standard", "20")], [pay("mobile", "15.65")]),
    case("inclusive: 21 % tax comes from the rate's sum, not per line", "EUR", True,
         [line("1", "0.99", "nl-standard", "21")] * 3),
    case("inclusive: tax of exactly half a cent rounds up (20 %)", "EUR", True,
         [line("1", "10.05", "fr-standard", "20")]),
    case("inclusive: two lines whose tax sums to half a cent round up once (20 %)", "EUR", True,
         [line("1", "0.01", "fr-standard", "20"), line("1", "0.02", "fr-standard", "20")]),
    case("inclusive: one rate under two codes, sorted by rate then code", "EUR", True,
         [line("1", "3.49", "standard", "19"), line("1", "8.99", "alcohol", "19"), line("1", "1.29", "reduced", "7")]),
    case("inclusive: 19 and 19.00 are one rate; the first line names it", "EUR", True,
         [line("1", "1.00", "standard", "19"), line("1", "2.00", "standard", "19.00")]),
    # --- Tax-exclusive stores (net prices): tax is added on top per rate --------------------------
    case("exclusive: 19 % and 7 % added on top, cash with change", "USD", False,
         [line("3", "10.00", "standard", "19"), line("1", "5.00", "reduced", "7")], [pay("cash", "50.00")]),
    case("exclusive: six rates in one cart (0, 5.5, 7, 19, 20, 21 %), sorted by rate", "EUR", False,
         [line("2", "3.49", "nl-standard", "21"), line("1", "0.89", "zero", "0"),
          line("1", "12.50", "de-standard", "19"), line("4", "1.25", "fr-reduced", "5.5"),
          line("1", "7.77", "de-reduced", "7"), line("1", "19.99", "fr-standard", "20")],
         [pay("card", "30.00"), pay("cash", "20.00")]),
    case("exclusive: tax of exactly half a cent rounds up at 5.5, 7, 19 and 21 %", "EUR", False,
         [line("1", "0.50", "de-standard", "19"), line("1", "0.50", "de-reduced", "7"),
          line("1", "1.00", "fr-reduced", "5.5"), line("1", "2.50", "nl-standard", "21")]),
    case("exclusive: tax just under half a cent rounds down", "EUR", False,
         [line("1", "0.71", "standard", "19")]),
    case("exclusive: tax is rounded once per rate, not per line", "EUR", False,
         [line("1", "0.10", "standard", "19")] * 7),
    # --- Line amounts: rounded once, after the discount -------------------------------------------
    case("line: half a cent rounds up (0.05 at 50 % off)", "EUR", True,
         [line("1", "0.05", "standard", "19", "50")]),
    case("line: 3-decimal unit price, 3 × 0.335 = 1.005 rounds up", "EUR", True,
         [line("3", "0.335", "standard", "19")]),
    case("line: fuel, 45.37 l at 1.799 a litre", "EUR", True,
         [line("45.37", "1.799", "standard", "19")], [pay("card", "81.62")]),
    case("discount: 12.5 %, one amount rounding down and one exactly at half a cent", "EUR", True,
         [line("1", "7.99", "standard", "19", "12.5"), line("1", "0.20", "standard", "19", "12.5")]),
    case("discount: 33.33 % on three items, and on 50.00 to exactly half a cent", "EUR", True,
         [line("3", "9.99", "standard", "19", "33.33"), line("1", "50.00", "reduced", "7", "33.33")]),
    case("discount: 100 % makes a line free", "EUR", True,
         [line("1", "4.99", "standard", "19", "100"), line("1", "1.00", "standard", "19")], [pay("cash", "1.00")]),
    case("discount: half a cent rounds up (0.99 at 50 % off)", "EUR", True,
         [line("1", "0.99", "standard", "19", "50")]),
    # --- Weighed goods: quantities with three decimals --------------------------------------------
    case("weighed: 1.255 kg at 3.99 with 10 % off, 0.375 kg at 12.90", "EUR", True,
         [line("1.255", "3.99", "reduced", "7", "10"), line("0.375", "12.90", "reduced", "7")]),
    case("weighed: 0.125 kg × 0.36 = 0.045 rounds up, 1 g rounds to nothing", "EUR", True,
         [line("0.125", "0.36", "reduced", "7"), line("0.001", "2.49", "reduced", "7")]),
    case("weighed: 0.755 kg at 24.90 with 15.5 % off, tax-exclusive", "EUR", False,
         [line("0.755", "24.90", "reduced", "7", "15.5"), line("2.345", "1.99", "reduced", "7")]),
    # --- Currencies without and with three decimals -----------------------------------------------
    case("JPY: tax-inclusive 10 % and 8 %, cash with change", "JPY", True,
         [line("3", "1000", "jp-standard", "10"), line("2", "298", "jp-reduced", "8")], [pay("cash", "5000")]),
    case("JPY: half a yen rounds up, on a line and on the tax", "JPY", False,
         [line("1", "105", "jp-standard", "10"), line("1", "99", "jp-standard", "10", "50")], [pay("mobile", "171")]),
    case("JPY: 33.33 % off and weighed, card beyond the total", "JPY", True,
         [line("1", "980", "jp-reduced", "8", "33.33"), line("0.456", "1980", "jp-reduced", "8")],
         [pay("card", "2000")]),
    case("BHD (3 decimals): tax-exclusive, half a fils rounds up on a line and on the tax", "BHD", False,
         [line("1", "0.105", "standard", "10"), line("0.5", "1.255", "zero", "0")], [pay("cash", "1.000")]),
    case("BHD (3 decimals): tax-inclusive 10 %, card pays exactly", "BHD", True,
         [line("3", "2.750", "standard", "10"), line("1.333", "1.5", "standard", "10")], [pay("card", "10.250")]),
    case("KWD (3 decimals): 12.5 % off, lowercase currency code", "kwd", True,
         [line("1", "4.999", "zero", "0", "12.5")], [pay("cash", "5.000")]),
    # --- Large amounts ----------------------------------------------------------------------------
    case("large: 99999 × 99999999.99 at 19 % on top, card pays exactly", "EUR", False,
         [line("99999", "99999999.99", "standard", "19")], [pay("card", "11899880998810.01")]),
    case("large: 12345.678 kg at 9876.54 with 33.33 % off at 21 %", "EUR", True,
         [line("12345.678", "9876.54", "nl-standard", "21", "33.33")]),
    case("large: a receipt of 60 lines over three rates", "EUR", True, LONG_RECEIPT,
         [pay("card", "1000.00"), pay("cash", "400.00")]),
    # --- Tenders ----------------------------------------------------------------------------------
    case("tender: cash with change", "EUR", True, CART_12_34, [pay("cash", "20.00")]),
    case("tender: card and cash, the cash gives change", "EUR", True, CART_12_34,
         [pay("card", "10.00"), pay("cash", "5.00")]),
    case("tender: mobile pays exactly", "EUR", True, CART_12_34, [pay("mobile", "12.34")]),
    case("tender: card beyond the total is non-cash excess, no change", "EUR", True, CART_12_34,
         [pay("card", "15.00")]),
    case("tender: card beyond the total plus cash, still no change", "EUR", True, CART_12_34,
         [pay("card", "13.00"), pay("cash", "5.00")]),
    case("tender: mobile and cash leave a remainder", "EUR", True, CART_12_34,
         [pay("mobile", "2.34"), pay("cash", "5.00")]),
    case("tender: card, mobile and cash, change from the cash", "EUR", True, CART_12_34,
         [pay("card", "5.00"), pay("mobile", "5.00"), pay("cash", "5.00")]),
    case("tender: none yet, everything remains", "EUR", True, CART_12_34),
    case("empty cart, no tenders", "EUR", True, []),
    # --- Negative amounts: the services refuse them, but the maths must still agree ---------------
    case("negative quantities round half away from zero; -0.004 gives -0.00 as in Python", "EUR", True,
         [line("-3", "0.335", "standard", "19"), line("-1", "0.004", "standard", "19")]),
    case("negative quantity, tax-exclusive: the tax rounds half away from zero", "EUR", False,
         [line("-1", "0.50", "standard", "19")]),
    # --- Python computes in a 28-digit context: beyond any real cart, but JS must agree -----------
    case("28-digit context: a product rounded onto half a cent rounds up (exact maths: down)", "EUR", True,
         [line("1", "1234567890123456789012345.6749999", "zero", "0")]),
    case("28-digit context: the 29th digit rounds half even first (exact maths: up)", "EUR", True,
         [line("3", "3333333333333333333333333.335", "zero", "0")]),
    case("28-digit context: a tax quotient rounded onto half a cent rounds up (exact maths: down)", "EUR", True,
         [line("1", "1000000000000000000000084.00", "standard", "19")]),
]  # fmt: skip


def line_inputs(vector) -> list[LineInput]:
    return [
        LineInput(
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            tax_code=line["tax_code"],
            tax_rate=Decimal(line["tax_rate"]),
            discount_percent=Decimal(line["discount_percent"]),
        )
        for line in vector["lines"]
    ]


def tenders(vector) -> list[Tender]:
    return [Tender(tender["method"], Decimal(tender["amount"])) for tender in vector["tenders"]]


def expect(vector) -> dict:
    currency = vector["currency"]
    totals = price_cart(line_inputs(vector), currency=currency, prices_include_tax=vector["prices_include_tax"])
    settlement = settle(totals.total, tenders(vector))

    def money(amount: Decimal) -> str:
        # Only the zeros sums and max() start from lack the currency's decimals ("0" → "0.00").
        assert quantize_money(amount, currency) == amount, amount
        return f"{quantize_money(amount, currency):f}"

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


def one_line_objects(text: str) -> str:
    """Put each line, tender and tax of the indented JSON on one line, for a diff one can review."""

    def join(match: re.Match) -> str:
        parts = [part.strip() for part in match[0].splitlines()]
        return "{" + " ".join(parts[1:-1]) + "}"

    return re.sub(r"\{[^{}\[\]]*\}", join, text)


def main() -> None:
    vectors = [{**vector, "expect": expect(vector)} for vector in CASES]
    VECTORS.write_text(one_line_objects(json.dumps(vectors, indent=2, ensure_ascii=False)) + "\n")
    print(f"Wrote {len(vectors)} vectors to {VECTORS}")


if __name__ == "__main__":
    main()
