"""A realistic, deterministic sample catalogue for the demo, the tests and the benchmarks.

Names mix German, Chinese and emoji, some with commas and quotes (they must survive CSV);
barcodes are EAN-13 with valid check digits; prices are Decimal.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from inventory.barcodes import make_ean13

CATEGORIES = {
    # category: (tax code, [(base name, price range)])
    "Bakery": (
        "reduced",
        [("Roggenbrot", (2, 5)), ("Brezel", (0.5, 1.5)), ("Croissant", (0.9, 2)), ("全麦面包", (2, 4))],
    ),
    "Dairy": (
        "reduced",
        [
            ("Vollmilch 3,5%", (0.9, 1.6)),
            ('Joghurt "Natur"', (0.5, 2)),
            ("Käse, Gouda jung", (1.5, 6)),
            ("Butter", (1.8, 3.5)),
        ],
    ),
    "Produce": (
        "reduced",
        [("Äpfel Elstar", (1.5, 4)), ("Bananen", (1, 2.5)), ("Tomaten 🍅", (1.5, 4)), ("苹果", (2, 5))],
    ),
    "Beverages": (
        "standard",
        [("Mineralwasser", (0.3, 1.2)), ("Apfelschorle", (0.8, 2)), ("Kaffee, gemahlen", (4, 12)), ("绿茶", (2, 8))],
    ),
    "Household": (
        "standard",
        [
            ("Spülmittel", (1, 3)),
            ("Küchenrolle, 4er", (2, 5)),
            ("Müllbeutel 30 l", (1.5, 4)),
            ("Schwamm 🧽", (0.8, 2.5)),
        ],
    ),
    "Stationery": (
        "standard",
        [("Kugelschreiber", (0.5, 3)), ("Notizbuch A5", (2, 9)), ("Klebeband", (1, 4)), ("毛笔", (3, 15))],
    ),
    "Books": ("reduced", [('Kochbuch "Heimat"', (12, 30)), ("Roman, Taschenbuch", (8, 15)), ("Stadtplan", (5, 10))]),
    "Gift cards": ("zero", [("Geschenkkarte", (10, 50))]),
}
TAX_RATES = {
    "standard": ("Standard rate", Decimal("19.00")),
    "reduced": ("Reduced rate", Decimal("7.00")),
    "zero": ("Zero rate", Decimal("0.00")),
}
VARIANTS = ["", "Bio", "XL", "klein", "groß", "Classic", "Premium", "🌱 vegan", "特价", "Familienpackung"]


@dataclass(frozen=True)
class SampleProduct:
    sku: str
    barcode: str
    name: str
    category: str
    tax_code: str
    price: Decimal
    cost: Decimal
    opening_stock: int


def generate_products(count: int, *, seed: int = 2026) -> Iterator[SampleProduct]:
    rng = random.Random(seed)
    categories = list(CATEGORIES.items())
    for number in range(1, count + 1):
        category, (tax_code, bases) = categories[number % len(categories)]
        base, (low, high) = bases[(number // len(categories)) % len(bases)]
        variant = VARIANTS[rng.randrange(len(VARIANTS))]
        price = Decimal(str(round(rng.uniform(low, high), 1))) + Decimal("0.09")
        yield SampleProduct(
            sku=f"SKU-{number:06d}",
            # 400–440 is Germany's GS1 prefix range; the number keeps barcodes unique.
            barcode=make_ean13(f"400{number:09d}"),
            name=f"{base} {variant} #{number}".replace("  ", " "),
            category=category,
            tax_code=tax_code,
            price=price,
            cost=(price * Decimal("0.6")).quantize(Decimal("0.01")),
            opening_stock=rng.randrange(5, 200),
        )


def install_sample_catalog(*, store, count: int, user=None, batch_size: int = 2000) -> int:
    """Create the sample products missing from the database, with opening stock; return how many."""
    from django.db import transaction

    from inventory.models import Category, Product, StockMovement, TaxRate
    from inventory.services import StockChange, record_movements

    tax_rates = {
        code: TaxRate.objects.get_or_create(code=code, defaults={"name": name, "rate": rate})[0]
        for code, (name, rate) in TAX_RATES.items()
    }
    categories = {name: Category.objects.get_or_create(name=name)[0] for name in CATEGORIES}
    existing = set(Product.objects.values_list("sku", flat=True))
    created = 0
    batch: list[SampleProduct] = []

    def flush():
        nonlocal created
        with transaction.atomic():
            products = Product.objects.bulk_create(
                Product(
                    sku=item.sku,
                    barcode=item.barcode,
                    name=item.name,
                    category=categories[item.category],
                    tax_rate=tax_rates[item.tax_code],
                    price=item.price,
                    cost=item.cost,
                )
                for item in batch
            )
            ids = dict(Product.objects.filter(sku__in=[p.sku for p in products]).values_list("sku", "pk"))
            record_movements(
                store=store,
                changes=[StockChange(ids[item.sku], Decimal(item.opening_stock)) for item in batch],
                reason=StockMovement.Reason.OPENING,
                reference="sample catalogue",
                user=user,
            )
        created += len(batch)
        batch.clear()

    for item in generate_products(count):
        if item.sku not in existing:
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
    if batch:
        flush()
    return created
