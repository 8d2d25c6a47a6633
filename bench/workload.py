"""What the simulated registers sell: 3–5 lines, some hot products every register shares."""

import json
import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

HOT_PRODUCT_COUNT = 10
HOT_SHARE = 0.3  # chance that a sale includes one of the hot products
REGISTER_PREFIX = "B"
SCAN_REGISTER_PREFIX = "S"
CASH_TENDERED = "1000.00"  # more than any 5-line sale of the sample catalogue; change is computed


def sku(number: int) -> str:
    return f"SKU-{number:06d}"


def hot_skus(products: int) -> list[str]:
    """Ten products spread over the catalogue, the same on every run."""
    rng = random.Random(7)
    return [sku(number) for number in sorted(rng.sample(range(1, products + 1), HOT_PRODUCT_COUNT))]


def register_codes(count: int, prefix: str = REGISTER_PREFIX) -> list[str]:
    return [f"{prefix}{number:02d}" for number in range(1, count + 1)]


class SaleGenerator:
    """Builds POST /api/v1/sales/ bodies; the products are seeded, the sale ids random (uuid4)."""

    def __init__(self, *, products: int, seed: int):
        self.products = products
        self.hot = hot_skus(products)
        self.rng = random.Random(seed)

    def sale(self, register: str) -> tuple[str, bytes]:
        sale_id = str(uuid.uuid4())
        body = {
            "id": sale_id,
            "register": register,
            "lines": [{"sku": code, "quantity": str(self.rng.randint(1, 3))} for code in self.skus()],
            "payments": [{"method": "cash", "amount": CASH_TENDERED}],
        }
        return sale_id, json.dumps(body, separators=(",", ":")).encode()

    def skus(self) -> list[str]:
        """3–5 different products, one of them hot in HOT_SHARE of sales."""
        rng = self.rng
        count = rng.randint(3, 5)
        chosen: list[str] = []
        if rng.random() < HOT_SHARE:
            chosen.append(rng.choice(self.hot))
        while len(chosen) < count:
            candidate = sku(rng.randint(1, self.products))
            if candidate not in chosen:
                chosen.append(candidate)
        return chosen


OUTDATED_PRICE_SHARE = 0.1  # lines the register charged at the price before a change
OUTDATED_PRICE_FACTOR = Decimal("0.9")
OFFLINE_SALE_INTERVAL = timedelta(seconds=20)  # register clock between two offline sales


class OfflineSaleGenerator(SaleGenerator):
    """An offline register's outbox: sales rung up from its catalogue snapshot, numbered in its own series.

    ``prices`` (SKU → price string) is the snapshot; each line carries the price charged, which
    for ``OUTDATED_PRICE_SHARE`` of lines is 10 % below it (the register had not yet heard of a
    price change). ``outdated_lines`` counts those, the price_changed issues the server should write.
    """

    def __init__(self, *, products: int, seed: int, prices: dict[str, str], install_id: str, rung_up_from: datetime):
        super().__init__(products=products, seed=seed)
        self.prices = prices
        self.install_id = install_id
        self.rung_up_from = rung_up_from
        self.sequence = 0
        self.outdated_lines = 0

    def sale(self, register: str) -> tuple[str, bytes]:
        rng = self.rng
        self.sequence += 1
        lines = []
        for code in self.skus():
            price = Decimal(self.prices[code])
            if rng.random() < OUTDATED_PRICE_SHARE:
                outdated = (price * OUTDATED_PRICE_FACTOR).quantize(Decimal("0.01"))
                self.outdated_lines += outdated != price
                price = outdated
            lines.append({"sku": code, "quantity": str(rng.randint(1, 3)), "unit_price": str(price)})
        sale_id = str(uuid.uuid4())
        body = {
            "id": sale_id,
            "register": register,
            "lines": lines,
            "payments": [{"method": "cash", "amount": CASH_TENDERED}],
            "offline_receipt_number": self.receipt_number(register, self.sequence),
            "created_at": (self.rung_up_from + self.sequence * OFFLINE_SALE_INTERVAL).isoformat(),
        }
        return sale_id, json.dumps(body, separators=(",", ":")).encode()

    def receipt_number(self, register: str, sequence: int) -> str:
        """The browser's series: ``<register>-OFF-<8 hex of its install id>-<6-digit sequence>``."""
        return f"{register}-OFF-{self.install_id}-{sequence:06d}"
