"""What can go wrong when selling, in words a cashier or an API client can act on."""


class SaleError(Exception):
    """Base for business-rule failures; ``field`` names the input at fault, if any."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class ProductNotFound(SaleError):
    pass


class InvalidLine(SaleError):
    pass


class EmptySale(SaleError):
    field = "lines"


class PaymentInvalid(SaleError):
    field = "payments"


class Underpaid(PaymentInvalid):
    pass


class OfflineReceiptNumberInvalid(SaleError):
    field = "offline_receipt_number"


class SaleConflict(SaleError):
    """The same sale id, or the same offline receipt number, was already used for a different sale."""

    field = "id"


class StaleCart(SaleError):
    """The cart moved on (e.g. completed in another tab) since the page was drawn."""


class ApprovalRefused(SaleError):
    """A supervisor approval was not given (unknown supervisor, wrong or locked PIN) or cannot be used."""

    field = "pin"


class ApprovalNeeded(SaleError):
    """The action needs a supervisor's approval first (``action`` says which)."""

    def __init__(self, message: str, *, action: str, details: dict | None = None, field: str | None = None):
        super().__init__(message, field=field)
        self.action = action
        self.details = details or {}
