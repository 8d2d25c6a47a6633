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


class NoOpenShift(SaleError):
    """The register has no open shift: it sells nothing until one is opened."""

    field = "register"

    @classmethod
    def at(cls, register) -> "NoOpenShift":
        return cls(f"No open shift on register {register.code}: open a shift first.")


class ShiftError(SaleError):
    """A shift or cash-drawer action that cannot be done as asked."""


class ShiftAlreadyOpen(ShiftError):
    field = "register"


class ShiftClosed(ShiftError):
    field = "shift"


class ShiftConflict(ShiftError):
    """The same client id was already used for a different shift action (HTTP 409)."""

    field = "id"


class ApprovalRefused(SaleError):
    """A supervisor approval was not given (unknown supervisor, wrong or locked PIN) or cannot be used."""

    field = "pin"


class ApprovalNeeded(SaleError):
    """The action needs a supervisor's approval first (``action`` says which)."""

    def __init__(self, message: str, *, action: str, details: dict | None = None, field: str | None = None):
        super().__init__(message, field=field)
        self.action = action
        self.details = details or {}


class SaleNotFound(SaleError):
    """No sale has the receipt number or code given at the counter."""

    field = "receipt"


class RefundError(SaleError):
    """A return, refund or void that cannot be done as asked."""


class RefundConflict(RefundError):
    """The same client id was already used for a different refund or void (HTTP 409)."""

    field = "id"
