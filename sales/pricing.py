"""Cart maths: line amounts, tax per rate, totals and tender settlement. No ORM here.

Rounding rules (the offline register's JavaScript must follow the same ones):
- every amount is rounded half up to the currency's minor unit;
- a line's amount is ``unit_price × quantity × (1 − discount/100)``, rounded once;
- tax is computed per tax rate on the sum of that rate's line amounts, rounded once per rate:
  included in tax-inclusive stores (``gross × rate / (100 + rate)``), added on top otherwise.
Refunds (server only): each line's share of its rate's gross and tax, split so the lines add up
to what the sale charged; a partial return refunds its share of that, rounded cumulatively.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from retailpos.money import currency_exponent, quantize_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CASH = "cash"


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    tax_code: str
    tax_rate: Decimal
    discount_percent: Decimal = ZERO


@dataclass(frozen=True)
class PricedLine:
    quantity: Decimal
    unit_price: Decimal
    tax_code: str
    tax_rate: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    amount: Decimal  # after discount, on the store's price basis (gross or net)


@dataclass(frozen=True)
class TaxLine:
    code: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal  # sum of line amounts as priced (gross if tax-inclusive)
    discount_total: Decimal
    taxes: tuple[TaxLine, ...]
    tax_total: Decimal
    total: Decimal  # amount due


@dataclass(frozen=True)
class Tender:
    method: str
    amount: Decimal


@dataclass(frozen=True)
class Settlement:
    paid: Decimal
    remaining: Decimal  # still due; 0 when fully paid
    change: Decimal  # cash to hand back
    non_cash_excess: Decimal  # card/mobile paid beyond the total: not allowed


def price_line(line: LineInput, *, currency: str) -> PricedLine:
    undiscounted = quantize_money(line.unit_price * line.quantity, currency)
    amount = quantize_money(line.unit_price * line.quantity * (HUNDRED - line.discount_percent) / HUNDRED, currency)
    return PricedLine(
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_code=line.tax_code,
        tax_rate=line.tax_rate,
        discount_percent=line.discount_percent,
        discount_amount=undiscounted - amount,
        amount=amount,
    )


def tax_for_rate(code: str, rate: Decimal, amount: Decimal, *, currency: str, prices_include_tax: bool) -> TaxLine:
    """Tax of one rate's summed line amounts; the line amounts are gross or net per the store."""
    if prices_include_tax:
        tax = quantize_money(amount * rate / (HUNDRED + rate), currency)
        return TaxLine(code=code, rate=rate, net=amount - tax, tax=tax, gross=amount)
    tax = quantize_money(amount * rate / HUNDRED, currency)
    return TaxLine(code=code, rate=rate, net=amount, tax=tax, gross=amount + tax)


def price_cart(lines: Iterable[LineInput], *, currency: str, prices_include_tax: bool) -> Totals:
    priced = tuple(price_line(line, currency=currency) for line in lines)
    amounts_by_rate: dict[tuple[str, Decimal], Decimal] = {}
    for line in priced:
        key = (line.tax_code, line.tax_rate)
        amounts_by_rate[key] = amounts_by_rate.get(key, ZERO) + line.amount
    taxes = tuple(
        tax_for_rate(code, rate, amount, currency=currency, prices_include_tax=prices_include_tax)
        for (code, rate), amount in sorted(amounts_by_rate.items(), key=lambda item: (item[0][1], item[0][0]))
    )
    subtotal = sum((line.amount for line in priced), ZERO)
    tax_total = sum((tax.tax for tax in taxes), ZERO)
    return Totals(
        lines=priced,
        subtotal=subtotal,
        discount_total=sum((line.discount_amount for line in priced), ZERO),
        taxes=taxes,
        tax_total=tax_total,
        total=subtotal if prices_include_tax else subtotal + tax_total,
    )


def settle(total: Decimal, tenders: Iterable[Tender]) -> Settlement:
    """Split tender: card and mobile pay up to the total; only cash can exceed it (change)."""
    tenders = list(tenders)
    non_cash = sum((t.amount for t in tenders if t.method != CASH), ZERO)
    cash = sum((t.amount for t in tenders if t.method == CASH), ZERO)
    paid = non_cash + cash
    return Settlement(
        paid=paid,
        remaining=max(total - paid, ZERO),
        change=max(paid - total, ZERO) if non_cash <= total else ZERO,
        non_cash_excess=max(non_cash - total, ZERO),
    )


# --- Refunds -------------------------------------------------------------------------------


def allocate(total: Decimal, weights: Sequence[Decimal], *, currency: str) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights``, each part in the currency's minor unit, the
    parts adding up to exactly ``total`` (the leftover units go to the largest remainders)."""
    weight_sum = sum(weights, ZERO)
    if not weights or weight_sum == 0:
        return [ZERO for _ in weights]
    unit = currency_exponent(currency)
    exact = [total * weight / weight_sum for weight in weights]
    parts = [value.quantize(unit, rounding=ROUND_DOWN) for value in exact]
    leftover_units = int((total - sum(parts, ZERO)) / unit)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for index in by_remainder[:leftover_units]:
        parts[index] += unit
    return parts


@dataclass(frozen=True)
class SoldLine:
    tax_code: str
    tax_rate: Decimal
    amount: Decimal  # the line's amount after discount, on the store's price basis


@dataclass(frozen=True)
class PaidForLine:
    gross: Decimal  # what the customer paid for the whole line, tax included
    tax: Decimal  # the tax in it


def paid_per_line(lines: Sequence[SoldLine], taxes: Sequence[TaxLine], *, currency: str) -> list[PaidForLine]:
    """What the customer paid for each line: its share of its rate's gross and tax as the sale
    charged them (tax is computed per rate on the sum of the rate's lines), so that the lines of
    a sale add up to exactly its total and tax."""
    paid: list[PaidForLine | None] = [None] * len(lines)
    for tax_line in taxes:
        indexes = [
            i for i, line in enumerate(lines) if (line.tax_code, line.tax_rate) == (tax_line.code, tax_line.rate)
        ]
        weights = [lines[i].amount for i in indexes]
        grosses = allocate(tax_line.gross, weights, currency=currency)
        line_taxes = allocate(tax_line.tax, weights, currency=currency)
        for i, gross, tax in zip(indexes, grosses, line_taxes, strict=True):
            paid[i] = PaidForLine(gross=gross, tax=tax)
    return [line if line is not None else PaidForLine(ZERO, ZERO) for line in paid]


def refund_share(
    paid: Decimal, *, sold: Decimal, returned_before: Decimal, returning: Decimal, currency: str
) -> Decimal:
    """What ``returning`` of the ``sold`` units are worth of the ``paid`` amount, after
    ``returned_before`` units were refunded: rounded cumulatively, so returning every unit, at
    once or in parts, refunds exactly ``paid`` and never more."""
    before = quantize_money(paid * returned_before / sold, currency)
    return quantize_money(paid * (returned_before + returning) / sold, currency) - before
