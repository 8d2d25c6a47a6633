from django.core.exceptions import PermissionDenied

from audit.services import Action, record


class RecordRefusalsMiddleware:
    """Put every request a logged-in user was refused (403) in the audit log: who, what, why.

    Anonymous 403s ("log in first", e.g. an expired register session retrying its outbox) are not
    permission denials of anybody and are left out. A view that recorded the refusal itself, with
    more detail, sets ``request.audit_recorded``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403 and not getattr(request, "audit_recorded", False):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                details = {"what": f"{request.method} {request.path}"[:200]}
                if reason := getattr(request, "audit_refusal_reason", ""):
                    details["reason"] = reason[:200]
                record(Action.PERMISSION_DENIED, request=request, details=details)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied) and str(exception):
            request.audit_refusal_reason = str(exception)
