class DeviceError(Exception):
    """A device request the server refuses; the message is for the person at the register PC."""


class PairingRefused(DeviceError):
    pass


class TooManyPairingAttempts(DeviceError):
    pass
