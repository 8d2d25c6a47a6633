"""Show the open sale on the register's customer display (``display.updated``), after commit.

The event is JSON the display page draws as it is (static/js/customer-display.js); the checkout
page's offline register posts the same shape on a BroadcastChannel when the server is away:

    {"type": "display.updated", "register": "R1", "state": "idle" | "open" | "paid",
     "currency_symbol": "€", "lines": [{"name", "quantity", "amount"}], "item_count", "total",
     "paid", "remaining", "change", "receipt_number" (when paid)}

Amounts and quantities are decimal strings ("4.87", "2"), never floats.
"""

import asyncio
import logging
from decimal import Decimal
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from retailpos.money import quantize_money
from sales.models import Sale
from sales.selectors import CheckoutState
from sales.templatetags.pos import currency_symbol

logger = logging.getLogger(__name__)
_pending_sends: set = set()  # keeps scheduled sends alive until they finish


def customer_display_group_name(register_id: int) -> str:
    return f"display.register-{register_id}"


def customer_display_event(state: CheckoutState) -> dict:
    """The open sale as the customer sees it: lines, total, and what is paid so far."""
    currency = state.currency

    def money(amount: Decimal) -> str:
        return str(quantize_money(amount, currency))

    return {
        "type": "display.updated",
        "register": state.register.code,
        "state": "open" if state.lines else "idle",
        "currency_symbol": currency_symbol(currency),
        "lines": [
            {"name": line.product.name, "quantity": _number(line.priced.quantity), "amount": money(line.priced.amount)}
            for line in state.lines
        ],
        "item_count": _number(state.item_count),
        "total": money(state.totals.total),
        "paid": money(state.settlement.paid),
        "remaining": money(state.settlement.remaining),
        "change": money(state.settlement.change),
    }


def customer_display_paid_event(sale: Sale) -> dict:
    """The completed sale: what was paid and the change to hand back."""

    def money(amount: Decimal) -> str:
        return str(quantize_money(amount, sale.currency))

    return {
        "type": "display.updated",
        "register": sale.register.code,
        "state": "paid",
        "currency_symbol": currency_symbol(sale.currency),
        "lines": [],
        "item_count": "0",
        "total": money(sale.total),
        "paid": money(sale.paid_total),
        "remaining": money(Decimal(0)),
        "change": money(sale.change),
        "receipt_number": sale.receipt_number,
    }


def show_on_customer_display(*, register_id: int, event: dict) -> None:
    """Send ``event`` to the register's customer displays once the caller's transaction commits."""
    transaction.on_commit(partial(_send, customer_display_group_name(register_id), event))


def _send(group: str, event: dict) -> None:
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    message = {"type": "display.updated", "display": event}
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            async_to_sync(channel_layer.group_send)(group, message)
        else:
            # Committed from code running inside an event loop: async_to_sync would refuse.
            task = loop.create_task(channel_layer.group_send(group, message))
            _pending_sends.add(task)
            task.add_done_callback(_pending_sends.discard)
    except Exception:
        # The sale is saved; the display catches up with the next change (and on reconnecting).
        logger.exception("Could not update the customer display (%s)", group)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
