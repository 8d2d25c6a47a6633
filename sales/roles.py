"""Staff roles as Django groups. Changes here need a data migration (see 0002_roles)."""

CASHIER = "cashier"
SUPERVISOR = "supervisor"
MANAGER = "manager"
ADMIN = "admin"
# Every permission there is: the admin role runs the whole back office, users and roles included.
ALL_PERMISSIONS = ["*"]

_CASHIER_PERMISSIONS = [
    "sales.add_sale",
    "sales.view_sale",
    # Shifts at the counter: open, cash in/out, no-sale, X report, blind close.
    "sales.add_shift",
    "sales.view_shift",
    "sales.add_cashmovement",
    # Returns with a receipt; without one, and post-voids, also need a supervisor's approval.
    "sales.add_refund",
    "sales.view_refund",
    "sales.add_void",
    "inventory.view_product",
    # Attach, find and add customers at the counter.
    "loyalty.view_customer",
    "loyalty.add_customer",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CASHIER: _CASHIER_PERMISSIONS,
    # Supervisors approve at the counter with their PIN (sales/approvals.py).
    SUPERVISOR: [*_CASHIER_PERMISSIONS, "sales.give_approval"],
    MANAGER: [
        *_CASHIER_PERMISSIONS,
        "sales.give_approval",
        # Managers set the counter PINs and read the approvals and the audit log.
        "sales.add_staffpin",
        "sales.change_staffpin",
        "sales.view_staffpin",
        "sales.view_approval",
        *[
            f"inventory.{action}_{model}"
            for model in ("store", "category", "taxrate", "product")
            for action in ("add", "change", "delete", "view")
        ],
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        # Back office: suppliers, reorder rules, purchase orders and the stock documents (drafted,
        # then posted through inventory.stock_operations; posted ones are read-only).
        *[
            f"inventory.{action}_{model}"
            for model in (
                "supplier",
                "reorderrule",
                "purchaseorder",
                "purchaseorderline",
                "goodsreceipt",
                "goodsreceiptline",
                "stockcount",
                "stockcountline",
                "transfer",
                "transferline",
                "adjustment",
                "adjustmentline",
            )
            for action in ("add", "change", "delete", "view")
        ],
        *[f"devices.{action}_register" for action in ("add", "change", "delete", "view")],
        *[f"devices.{action}_printer" for action in ("add", "change", "delete", "view")],
        # Devices are made by pairing; managers revoke them (change) and queue test pages/reprints.
        "devices.view_device",
        "devices.change_device",
        "devices.view_printjob",
        "devices.add_printjob",
        "sales.view_saleline",
        "sales.view_saletax",
        "sales.view_payment",
        "sales.view_cart",
        "sales.view_cartline",
        "sales.view_cartpayment",
        "sales.view_offlinesyncissue",
        "sales.view_cashmovement",
        "sales.sign_off_shift",
        "audit.view_auditentry",
        "sales.view_refundline",
        "sales.view_refundpayment",
        "sales.view_void",
        "sales.view_journalentry",
        "sales.view_reports",
        # Loyalty: customers (adjust points, export, anonymise), the rules and tiers; the ledger is read-only.
        *[f"loyalty.{action}_customer" for action in ("change", "delete")],
        "loyalty.view_pointsentry",
        *[
            f"loyalty.{action}_{model}"
            for model in ("loyaltyprogram", "tier", "categorymultiplier")
            for action in ("add", "change", "delete", "view")
        ],
    ],
    ADMIN: ALL_PERMISSIONS,
}

# Roles that may open the back office (/admin/): their users get is_staff.
BACK_OFFICE_ROLES = {MANAGER, ADMIN}


def sync_role_groups(group_model, permission_model) -> None:
    """Create the role groups and give each exactly its permissions."""
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        if codes == ALL_PERMISSIONS:
            group.permissions.set(permission_model.objects.all())
            continue
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def migrate_role_groups(apps, schema_editor) -> None:
    """RunPython step: bring the role groups up to date with ROLE_PERMISSIONS."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
