"""What the simulated registers sell: 3–5 lines, some hot products every register shares."""

import json
import random
import uuid

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
        rng = self.rng
        count = rng.randint(3, 5)
        chosen: list[str] = []
        if rng.random() < HOT_SHARE:
            chosen.append(rng.choice(self.hot))
        while len(chosen) < count:
            candidate = sku(rng.randint(1, self.products))
            if candidate not in chosen:
                chosen.append(candidate)
        sale_id = str(uuid.uuid4())
        body = {
            "id": sale_id,
            "register": register,
            "lines": [{"sku": code, "quantity": str(rng.randint(1, 3))} for code in chosen],
            "payments": [{"method": "cash", "amount": CASH_TENDERED}],
        }
        return sale_id, json.dumps(body, separators=(",", ":")).encode()
