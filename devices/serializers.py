from rest_framework import serializers

from retailpos.card_numbers import reject_card_numbers


class PairInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The pairing code shown in the back office.")
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        validators=[reject_card_numbers],
        help_text="E.g. the PC's host name.",
    )


class PairOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The device token: shown once; send it as `Authorization: Bearer …`.")
    device = serializers.IntegerField(source="device.pk")
    name = serializers.CharField(source="device.name")
    register = serializers.CharField(source="device.register.code")
    websocket = serializers.CharField(default="/ws/devices/")
    local_print_key = serializers.CharField(
        source="device.register.local_print_key",
        help_text="What the register's checkout page sends to the agent's local endpoint (not a server credential).",
    )
