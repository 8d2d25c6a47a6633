from django.urls import reverse


def test_the_service_worker_is_served_under_pos_so_it_can_control_the_checkout_pages(client):
    url = reverse("pos:service-worker")

    response = client.get(url)

    assert url == "/pos/sw.js"  # its scope is its folder: /pos/, which holds every checkout page
    assert response.status_code == 200  # no login: it holds no data, and must load for a logged-out page
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"  # a new version reaches registers on their next load
    assert 'addEventListener("fetch"' in response.content.decode()
