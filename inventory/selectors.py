"""Catalogue and stock reads."""

from django.db.models import Q, QuerySet

from inventory.models import Product, Store


def search_products(*, query: str, store: Store, limit: int = 20) -> QuerySet[Product]:
    """Active products whose name contains ``query`` or whose SKU/barcode starts with it, with on-hand."""
    query = query.strip()
    if not query:
        return Product.objects.none()
    return (
        Product.objects.active()
        .with_on_hand(store)
        .filter(Q(name__icontains=query) | Q(sku__istartswith=query) | Q(barcode__startswith=query))
        .select_related("tax_rate")
        .order_by("name", "pk")[:limit]
    )


def product_list(*, store: Store, search: str = "", barcode: str = "") -> QuerySet[Product]:
    """Active products with ``on_hand`` at the store, optionally narrowed by a search term or a barcode.

    ``search`` matches as ``search_products`` does (name contains, SKU or barcode starts with), so the
    API and the checkout page find the same products; ``barcode`` must match exactly.
    """
    products = Product.objects.active().with_on_hand(store).select_related("category", "tax_rate")
    if search := search.strip():
        products = products.filter(
            Q(name__icontains=search) | Q(sku__istartswith=search) | Q(barcode__startswith=search)
        )
    if barcode := barcode.strip():
        products = products.filter(barcode=barcode)
    return products.order_by("name", "pk")
