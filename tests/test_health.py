from datetime import datetime, timedelta
from unittest import mock

from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

URL = "/api/v1/health/"


def test_health_answers_logged_out_with_the_server_time_never_cached(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["status"] == "ok"
    assert abs(datetime.fromisoformat(data["time"]) - timezone.now()) < timedelta(seconds=5)
    # One cheap read, no session, no write.
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 1"]
    assert "sessionid" not in response.cookies


def test_health_answers_the_same_when_logged_in(api):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_health_says_503_when_the_database_does_not_answer(client, db):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get(URL)

    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"
    assert response.json()["status"] == "unavailable"
