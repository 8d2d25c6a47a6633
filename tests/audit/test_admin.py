from audit.models import AuditEntry
from audit.services import Action, record


def test_managers_read_the_log_filtered_and_searched_but_cannot_change_it(client, manager, cashier, register):
    record(Action.NO_SALE, actor=cashier, store=register.store, register=register, details={"reason": "change"})
    record(Action.LOGIN, actor=manager)
    entry = AuditEntry.objects.get(action=Action.NO_SALE)
    client.force_login(manager)

    listing = client.get("/admin/audit/auditentry/", {"action": "no_sale", "register_code": "R1"})
    assert listing.status_code == 200
    assert "No-sale drawer open" in listing.content.decode()
    assert listing.context["cl"].result_count == 1
    assert client.get("/admin/audit/auditentry/", {"q": "cashier"}).context["cl"].result_count == 1

    detail = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
