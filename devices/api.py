from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.exceptions import PairingRefused, TooManyPairingAttempts
from devices.serializers import PairInputSerializer, PairOutputSerializer
from devices.services import count_pairing_attempt, pair_device


class PairDeviceApi(APIView):
    # The pairing code is the credential: no session, no CSRF (the agent is not a browser).
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="devices_pair",
        summary="Pair a print agent with a register",
        description=(
            "Exchanges a one-time pairing code (made in the back office, valid ten minutes) for a device token, "
            "returned once. At most ten attempts per address in ten minutes."
        ),
        request=PairInputSerializer,
        responses={
            201: PairOutputSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown, expired or used code."),
            429: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many attempts."),
        },
    )
    def post(self, request):
        try:
            count_pairing_attempt(client_address=request.META.get("REMOTE_ADDR", ""))
        except TooManyPairingAttempts as error:
            return Response({"detail": str(error)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        data = PairInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            device, token = pair_device(
                code=data.validated_data["code"],
                name=data.validated_data["name"],
                client_address=request.META.get("REMOTE_ADDR"),
            )
        except PairingRefused as error:
            return Response({"code": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        body = PairOutputSerializer({"token": token, "device": device}).data
        # The token is in this body only: never cached by anything in between.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})
