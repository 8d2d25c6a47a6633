"""Django's ASGI handler with each request served in one hop to a reused worker thread."""

import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

# Requests of one process served at once (each holds a database connection while it runs).
REQUEST_THREADS = int(os.environ.get("RETAILPOS_REQUEST_THREADS", 12))


class SyncMiddlewareASGIHandler(ASGIHandler):
    """Serve an HTTP request as WSGI would, in one call on a worker thread of a shared pool.

    Stock Django under ASGI builds the middleware chain in async mode, so each ``MiddlewareMixin``
    method (and each request signal receiver) is its own hop to a thread and back, and it starts
    a new thread for every request (``ThreadSensitiveContext``). Every view and middleware here is
    sync, so a request runs top to bottom in one call — signals, middleware, view, response close —
    on a thread the pool keeps for the next request. Requests still run side by side (one thread
    each), so one waiting on the database does not hold up the others. Websockets go through
    Channels and are not affected.
    """

    def __init__(self):
        super().__init__()
        self.executor = ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="request")

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)(
                scope, body_file
            )
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=False, executor=self.executor)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                # The ASGI server chunks the body itself; read the file in bigger blocks.
                response.block_size = self.chunk_size
        if not response.streaming:
            # The body is in memory: finish the request (request_finished returns the database
            # connection to the pool) before its bytes go out, not after.
            response.close()
        return response
