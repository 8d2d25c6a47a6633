"""``GET /api/v1/health/``: is the server there, with its database? What an offline register polls."""

from django.db import DatabaseError, connection
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

HealthSerializer = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "time": serializers.DateTimeField(help_text="The server's clock, UTC."),
    },
)


class HealthApi(APIView):
    # No session, user or CSRF: a logged-out page may ask, and answering reads nothing but SELECT 1.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="health",
        summary="Is the server up?",
        description=(
            "Answers quickly without logging in and writes nothing; never cached. The register polls it while "
            "offline and drains its outbox once it answers 200."
        ),
        responses={
            200: OpenApiResponse(HealthSerializer, description="Up, and the database answers."),
            503: OpenApiResponse(HealthSerializer, description="Up, but the database does not answer."),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            answer, code = "ok", status.HTTP_200_OK
        except DatabaseError:
            # A sale could not be booked now either: the register should stay offline.
            answer, code = "unavailable", status.HTTP_503_SERVICE_UNAVAILABLE
        response = Response({"status": answer, "time": timezone.now()}, code)
        response["Cache-Control"] = "no-store"
        return response
