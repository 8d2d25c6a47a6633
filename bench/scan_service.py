"""In-process scan timing, used when the HTMX scan endpoint does not exist yet.

Run as ``python -m bench.scan_service`` with ``DATABASE_URL`` set and a JSON plan
(``[[register, barcode], ...]``) on stdin; times ``sales.services.add_product_by_code``
(the lookup and the cart write, no HTTP, no template) and prints one JSON line.
"""

import json
import os
import sys
import time


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    import django

    django.setup()

    from bench.scan import WARMUP_SCANS
    from bench.stats import latency_summary_ms
    from devices.models import Register
    from sales.services import add_product_by_code, open_cart

    plan = json.load(sys.stdin)
    carts = {register.code: open_cart(register) for register in Register.objects.filter(code__in={r for r, _ in plan})}
    latencies = []
    for index, (register, barcode) in enumerate(plan):
        started = time.perf_counter()
        add_product_by_code(cart=carts[register], code=barcode)
        if index >= WARMUP_SCANS:
            latencies.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "method": "in-process",
                "what": "sales.services.add_product_by_code in one process (no HTTP, no template)",
                "scans": len(latencies),
                "warmup_scans": WARMUP_SCANS,
                "registers": len(carts),
                "latency": latency_summary_ms(latencies),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
