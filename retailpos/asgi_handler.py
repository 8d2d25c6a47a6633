"""Django's ASGI handler with the middleware chain run synchronously, in one thread hop."""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncMiddlewareASGIHandler(ASGIHandler):
    """Run the middleware and the (sync) views of a request together in its worker thread.

    Django's stock ASGI handler builds the middleware chain in async mode. Every middleware
    here is a ``MiddlewareMixin`` (or sync-only, like WhiteNoise), and in async mode each of
    their ``process_request``/``process_response`` calls is its own hop to a thread and back:
    a dozen hops per request, about 4 ms of CPU before any view runs. All our HTTP views are
    sync, so the chain runs as under WSGI, entered with one hop. Requests still get their own
    thread each (``ThreadSensitiveContext``), so one request waiting on the database does not
    hold up the others; websockets go through Channels and are not affected.
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
