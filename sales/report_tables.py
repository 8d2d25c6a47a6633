"""The dashboard's reports as tables: the page shows them and each exports as CSV, cell for cell.

A table holds typed values (int, Decimal, date, str, None); the page formats them for the store
(``€1,234.50``, ``12.5 %``) and the CSV writes them plain (``1234.50``, ``12.5``), from the
same rows.
"""

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from retailpos.money import quantize_money
from sales.reports import Dashboard

TEXT, INT, MONEY, QUANTITY, PERCENT, DATE = "text", "int", "money", "quantity", "percent", "date"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[tuple]
    # Per row: the columns (by index) to highlight as unusual, e.g. a cashier's discounts.
    highlights: list[frozenset[int]] = field(default_factory=list)
    note: str = ""

    def display_rows(self) -> list[list["Cell"]]:
        """The rows as the page draws them: each value with its kind and whether it is a red flag."""
        return [
            [
                Cell(value, column.kind, index in (self.highlights[row_index] if self.highlights else ()))
                for index, (value, column) in enumerate(zip(row, self.columns, strict=True))
            ]
            for row_index, row in enumerate(self.rows)
        ]


@dataclass(frozen=True)
class Cell:
    value: object
    kind: str
    highlighted: bool


REPORTS = (
    "summary", "taxes", "by_hour", "by_day", "categories", "top_revenue", "top_quantity", "payments", "cashiers",
    "low_stock", "offline",
)  # fmt: skip


def report_tables(board: Dashboard) -> dict[str, Table]:
    """Every report of the dashboard, by slug (the CSV's ``?report=``)."""
    tables = [
        summary_table(board),
        taxes_table(board),
        by_hour_table(board),
        by_day_table(board),
        categories_table(board),
        top_table(board, "top_revenue", "Top 10 products by net revenue", board.top_by_revenue),
        top_table(board, "top_quantity", "Top 10 products by quantity", board.top_by_quantity),
        payments_table(board),
        cashiers_table(board),
        low_stock_table(board),
        offline_table(board),
    ]
    return {table.slug: table for table in tables}


def summary_table(board: Dashboard) -> Table:
    s = board.summary
    rows = [
        ("Revenue (gross)", s.gross, MONEY),
        ("Net", s.net, MONEY),
        ("Tax", s.tax, MONEY),
        ("Number of sales", s.sales, INT),
        ("Average basket", s.average_basket, MONEY),
        ("Items sold", s.items, QUANTITY),
        ("Items per sale", s.items_per_sale, QUANTITY),
        ("Discounts given", s.discounts, MONEY),
        ("Offline sales", s.offline_sales, INT),
    ]
    if board.categories or board.cost:
        rows += [
            ("Net revenue of the lines", board.line_net, MONEY),
            ("Cost of goods sold", board.cost, MONEY),
            ("Gross margin", board.margin, MONEY),
            ("Gross margin %", _percent(board.margin, board.line_net), PERCENT),
        ]
    # One table of (figure, value); each value formatted as its own kind.
    return Table(
        "summary",
        "Summary",
        [Column("Figure"), Column("Value", "mixed")],
        [(label, (value, kind)) for label, value, kind in rows],
    )


def taxes_table(board: Dashboard) -> Table:
    rows = [(t.code, t.rate, t.net, t.tax, t.gross) for t in board.taxes]
    return Table(
        "taxes",
        "Net, tax and gross by tax rate",
        [Column("Tax"), Column("Rate %", PERCENT), Column("Net", MONEY), Column("Tax", MONEY), Column("Gross", MONEY)],
        rows,
    )


def by_hour_table(board: Dashboard) -> Table:
    return Table(
        "by_hour",
        "Sales by hour of day",
        [Column("Hour"), Column("Sales", INT), Column("Revenue", MONEY)],
        [(f"{hour:02d}:00", sales, gross) for hour, sales, gross in board.by_hour()],
    )


def by_day_table(board: Dashboard) -> Table:
    return Table(
        "by_day",
        "Sales by day",
        [Column("Date", DATE), Column("Sales", INT), Column("Revenue", MONEY)],
        board.by_day(),
    )


def categories_table(board: Dashboard) -> Table:
    return Table(
        "categories",
        "By category",
        [
            Column("Category"),
            Column("Quantity", QUANTITY),
            Column("Net revenue", MONEY),
            Column("Cost", MONEY),
            Column("Gross margin", MONEY),
            Column("Margin %", PERCENT),
        ],
        [(c.label, c.quantity, c.net, c.cost, c.margin, c.margin_percent) for c in board.categories],
    )


def top_table(board: Dashboard, slug: str, title: str, products) -> Table:
    return Table(
        slug,
        title,
        [
            Column("#", INT),
            Column("SKU"),
            Column("Product"),
            Column("Quantity", QUANTITY),
            Column("Net revenue", MONEY),
            Column("Gross margin", MONEY),
        ],
        [(rank, p.sku, p.label, p.quantity, p.net, p.margin) for rank, p in enumerate(products, start=1)],
    )


def payments_table(board: Dashboard) -> Table:
    total = sum((p.amount for p in board.payments), Decimal(0))
    return Table(
        "payments",
        "Payment methods",
        [Column("Method"), Column("Payments", INT), Column("Amount", MONEY), Column("Share %", PERCENT)],
        [(p.label, p.payments, p.amount, _percent(p.amount, total)) for p in board.payments],
        note="Cash is what stayed in the drawer: tendered less change.",
    )


CASHIER_FLAG_COLUMNS = {"discounts": 4, "voids": 5, "line_voids": 6, "refunds": 8, "no_sales": 9}


def cashiers_table(board: Dashboard) -> Table:
    return Table(
        "cashiers",
        "Per cashier",
        [
            Column("Cashier"),
            Column("Sales", INT),
            Column("Revenue", MONEY),
            Column("Discounts", MONEY),
            Column("Discount %", PERCENT),
            Column("Voids", INT),
            Column("Line voids", INT),
            Column("Line voids amount", MONEY),
            Column("Refunds", INT),
            Column("No-sales", INT),
            Column("Red flags"),
        ],
        [cashier_row(c) for c in board.cashiers],
        highlights=[frozenset(CASHIER_FLAG_COLUMNS[flag] for flag in c.flags) for c in board.cashiers],
        note=(
            "Voids: sales voided after payment. Line voids: lines taken off a sale before payment (removed, "
            "quantity lowered, sale cancelled), with what they were worth. "
            "Red flag: a cashier's voids, line voids, refunds or no-sales per sale, or share of takings given as "
            "discounts, is more than twice that of all cashiers in the same stores and dates, on at least 3 "
            "occasions."
        ),
    )


def cashier_row(c) -> tuple:
    return (
        c.name, c.sales, c.gross, c.discounts, c.discount_percent, c.voids, c.line_voids, c.line_void_amount,
        c.refunds, c.no_sales, flags(c),
    )  # fmt: skip


def flags(cashier) -> str:
    return ", ".join(flag.replace("_", "-") for flag in cashier.flags)


def low_stock_table(board: Dashboard) -> Table:
    rows = [
        (rule.store.code, rule.product.sku, rule.product.name, rule.on_hand, rule.on_order, rule.reorder_point)
        for rule in board.low_stock
    ]
    shown = len(rows)
    return Table(
        "low_stock",
        "Low stock",
        [
            Column("Store"),
            Column("SKU"),
            Column("Product"),
            Column("On hand", QUANTITY),
            Column("On order", QUANTITY),
            Column("Reorder point", QUANTITY),
        ],
        rows,
        note=f"{shown} of {board.low_stock_count} shown." if board.low_stock_count > shown else "",
    )


def offline_table(board: Dashboard) -> Table:
    from sales.models import OfflineSyncIssue

    labels = dict(OfflineSyncIssue.Kind.choices)
    rows = [("Sales rung up offline", board.summary.offline_sales)]
    rows += [(f"Issue: {labels[kind]}", count) for kind, count in board.offline_issues.items()]
    return Table("offline", "Offline sync", [Column("Figure"), Column("Count", INT)], rows)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else None


def plain(value, kind: str, currency: str) -> str:
    """A cell as the CSV writes it: no symbol, no grouping, a point for decimals, empty for none."""
    if kind == "mixed":
        value, kind = value
    if value is None:
        return ""
    if kind == MONEY:
        return str(quantize_money(Decimal(value), currency))
    if kind == QUANTITY:
        return f"{Decimal(value).normalize():f}"
    if kind == PERCENT:
        return f"{Decimal(value).quantize(Decimal('0.1'))}"
    if kind == DATE:
        return value.isoformat()
    return str(value)


def write_csv(out: TextIO, table: Table, *, currency: str) -> None:
    writer = csv.writer(out)
    writer.writerow([column.title for column in table.columns])
    for row in table.rows:
        writer.writerow([plain(value, column.kind, currency) for value, column in zip(row, table.columns, strict=True)])
