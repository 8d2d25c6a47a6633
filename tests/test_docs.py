import re
from pathlib import Path

import pytest
from django.conf import settings

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def logged_in(client, cashier):
    client.force_login(cashier)
    return client


def test_schema_documents_the_sale_and_product_endpoints(logged_in):
    response = logged_in.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    sale = schema["paths"]["/api/v1/sales/"]["post"]
    assert set(sale["responses"]) >= {"200", "201", "400", "403", "409"}
    assert sale["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SaleInput"}
    assert "/api/v1/products/" in schema["paths"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_from_our_own_static_files(logged_in, url):
    response = logged_in.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert not EXTERNAL.findall(html), "the docs page loads something from another host"
    assert "https://" not in html and "http://" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(
    "path", sorted((Path(settings.BASE_DIR) / "static" / "css").glob("*.css")), ids=lambda p: p.name
)
def test_every_stylesheet_rule_is_closed(path):
    # A missing "}" nests the rest of the file under one rule (CSS nesting): silently unstyled pages.
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{path.name}: a '}}' without its '{{' by line {number}"
    assert depth == 0, f"{path.name}: {depth} rule(s) not closed"
