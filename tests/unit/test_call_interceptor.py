"""The call interceptor refuses a call whose deadline has passed before anything runs."""

import grpc
import pytest

from services.access.guard import Guard
from services.common.interceptors import _Method, _unary


class Aborted(Exception):
    pass


class LateContext:
    """A servicer context whose deadline passed while the call was queued."""

    def __init__(self):
        self.aborted_with = None

    def time_remaining(self):
        return -0.5

    async def abort(self, code, details):
        self.aborted_with = code
        raise grpc.aio.AbortError()

    def code(self):
        return self.aborted_with


async def test_a_call_whose_deadline_passed_is_refused_before_the_guard_or_the_servicer_run():
    ran = []

    async def servicer(request, context):
        ran.append("servicer")

    class RecordingGuard(Guard):
        async def admit(self, method, context):
            ran.append("guard")

    handle = _unary(servicer, _Method(RecordingGuard(engine=None), "/onestock.x.v1.S/M"))
    context = LateContext()
    with pytest.raises(grpc.aio.AbortError):
        await handle(object(), context)
    assert context.aborted_with is grpc.StatusCode.DEADLINE_EXCEEDED
    assert ran == []
