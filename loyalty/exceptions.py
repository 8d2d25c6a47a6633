"""What can go wrong with customers and points, in words a cashier or an API client can act on."""


class LoyaltyError(Exception):
    """Base for loyalty rule failures; ``field`` names the input at fault, if any."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class CustomerNotFound(LoyaltyError):
    field = "customer"


class InsufficientPoints(LoyaltyError):
    field = "payments"


class CustomerConflict(LoyaltyError):
    """The id or the phone number already belongs to another customer (HTTP 409).

    ``existing``: the customer who has the phone, for the register to use instead.
    """

    def __init__(self, message: str, *, field: str | None = None, existing=None):
        super().__init__(message, field=field)
        self.existing = existing


class InvalidCustomer(LoyaltyError):
    pass
