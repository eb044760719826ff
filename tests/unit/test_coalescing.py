"""The coalescer under ReserveStock and CreateOrder: who shares a batch, and who hears what
when a batch fails or a caller goes away. Its writes are the test's own function here; the
batchers' SQL is tested through the services."""

import asyncio
import time

import pytest
from google.protobuf.wrappers_pb2 import StringValue

from services.common.coalescing import BusyMeter, Coalescer, Linger
from services.common.errors import FailedPrecondition


class Writer:
    """A write_batch that records each batch, can be held mid-write, and fails on demand."""

    def __init__(self):
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.writing = asyncio.Event()
        self.fail_with: Exception | None = None

    async def __call__(self, batch):
        self.batches.append([p.command for p in batch])
        self.writing.set()
        await self.release.wait()
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        return [FailedPrecondition(f"{p.command} refused") if p.command.startswith("bad")
                else StringValue(value=f"done {p.command}") for p in batch]


@pytest.fixture
async def writer():
    return Writer()


@pytest.fixture
async def coalescer(writer):
    coalescer = Coalescer("test", writer)
    coalescer.start()
    yield coalescer
    await coalescer.stop()


def submit(coalescer, command, request_id=None):
    return asyncio.ensure_future(coalescer.submit(request_id or command, command, b""))


async def answer(call):
    """The call's outcome; TimeoutError rather than a hung test when nobody answers it."""
    return await asyncio.wait_for(call, 2)


async def test_requests_waiting_together_share_one_write_and_each_hears_its_own_outcome(
        coalescer, writer):
    calls = [submit(coalescer, c) for c in ("a", "bad-b", "c")]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert writer.batches == [["a", "bad-b", "c"]]
    assert [o.value for o in (outcomes[0], outcomes[2])] == ["done a", "done c"]
    assert isinstance(outcomes[1], FailedPrecondition)


async def test_one_request_id_twice_never_shares_a_batch(coalescer, writer):
    calls = [submit(coalescer, "first", "same-id"), submit(coalescer, "other"),
             submit(coalescer, "retry", "same-id")]
    await asyncio.gather(*calls)
    assert writer.batches == [["first", "other"], ["retry"]]


async def test_a_failed_write_fails_every_request_of_its_batch_and_the_next_batch_is_served(
        coalescer, writer):
    writer.fail_with = ConnectionResetError("the database went away")
    failed = await asyncio.gather(*(answer(submit(coalescer, c)) for c in ("a", "b")),
                                  return_exceptions=True)
    assert [type(o) for o in failed] == [ConnectionResetError, ConnectionResetError]
    assert (await answer(submit(coalescer, "c"))).value == "done c"
    assert writer.batches == [["a", "b"], ["c"]]


async def test_a_caller_gone_before_its_batch_is_not_written(coalescer, writer):
    writer.release.clear()
    first = submit(coalescer, "a")
    await writer.writing.wait()  # "a" is being written; "gone" queues behind it
    gone = submit(coalescer, "gone")
    await asyncio.sleep(0)
    gone.cancel()
    stays = submit(coalescer, "stays")
    writer.release.set()
    assert ((await answer(first)).value, (await answer(stays)).value) == ("done a", "done stays")
    assert gone.cancelled()
    assert writer.batches == [["a"], ["stays"]]


async def test_a_caller_gone_during_the_write_leaves_the_writer_serving(coalescer, writer):
    writer.release.clear()
    gone, stays = submit(coalescer, "gone"), submit(coalescer, "stays")
    await writer.writing.wait()
    gone.cancel()
    writer.release.set()
    assert (await answer(stays)).value == "done stays"
    assert gone.cancelled()
    assert (await answer(submit(coalescer, "later"))).value == "done later"


async def test_stopping_fails_the_requests_still_waiting(writer):
    coalescer = Coalescer("test", writer)
    coalescer.start()
    writer.release.clear()
    busy = submit(coalescer, "a")
    await writer.writing.wait()
    waiting = submit(coalescer, "b")
    await asyncio.sleep(0)
    await coalescer.stop()
    for call in (busy, waiting):
        with pytest.raises(asyncio.CancelledError):
            await answer(call)
    assert writer.batches == [["a"]]


async def test_a_write_that_answers_the_wrong_number_of_requests_fails_them_and_the_writer_goes_on(
        coalescer, writer, monkeypatch):
    """A bug in one batch's write (here: an outcome missing) fails that batch's callers;
    it must not end the writer, or every later caller would wait for nothing."""
    real = Writer.__call__

    async def one_short(self, batch):
        outcomes = await real(self, batch)
        return outcomes[:-1] if len(self.batches) == 1 else outcomes

    monkeypatch.setattr(Writer, "__call__", one_short)
    outcomes = await asyncio.gather(*(answer(submit(coalescer, c)) for c in ("a", "b")),
                                    return_exceptions=True)
    assert outcomes[0].value == "done a"  # answered before the write's outcomes ran out
    assert isinstance(outcomes[1], ValueError)
    assert (await answer(submit(coalescer, "c"))).value == "done c"
    assert writer.batches == [["a", "b"], ["c"]]


@pytest.fixture
async def lingering(writer):
    """Coalescers that wait ``seconds`` for more once ``backlog`` requests queued up in a
    process using ``busy`` of a core."""
    made = []

    def make(seconds, backlog=2, max_batch=500, busy=1.0):
        made.append(Coalescer("test", writer, max_batch=max_batch,
                              linger=Linger(seconds, backlog), busy=lambda: busy))
        made[-1].start()
        return made[-1]

    yield make
    for coalescer in made:
        await coalescer.stop()


async def queued_while_writing(coalescer, writer, commands):
    """``commands`` submitted while "a" is written; returns the calls, "a"'s first."""
    writer.release.clear()
    first = submit(coalescer, "a")
    await writer.writing.wait()
    calls = [submit(coalescer, c) for c in commands]
    await asyncio.sleep(0)  # they are queued now
    writer.release.set()
    await answer(first)
    return calls


async def test_under_a_burst_the_writer_waits_and_a_request_arriving_meanwhile_joins_the_batch(
        lingering, writer):
    coalescer = lingering(0.5)
    burst = await queued_while_writing(coalescer, writer, ["b", "c"])
    await asyncio.sleep(0.05)  # the writer is waiting for more
    late = submit(coalescer, "d")
    assert [(await answer(c)).value for c in [*burst, late]] == ["done b", "done c", "done d"]
    assert writer.batches == [["a"], ["b", "c", "d"]]


async def test_below_the_backlog_the_writer_starts_at_once(lingering, writer):
    """One request queued during a write is no burst: were the writer to wait its hour,
    the call would time out."""
    coalescer = lingering(3600)
    [calm] = await queued_while_writing(coalescer, writer, ["b"])
    assert (await answer(calm)).value == "done b"
    assert writer.batches == [["a"], ["b"]]


async def test_a_process_with_cpu_to_spare_writes_at_once_whatever_the_backlog(
        lingering, writer):
    coalescer = lingering(3600, busy=0.5)
    burst = await queued_while_writing(coalescer, writer, ["b", "c"])
    assert [(await answer(c)).value for c in burst] == ["done b", "done c"]
    assert writer.batches == [["a"], ["b", "c"]]


def test_the_busy_meter_tells_a_process_spinning_from_one_asleep():
    meter = BusyMeter(window=0.05)
    time.sleep(0.1)
    asleep = meter()
    start = time.monotonic()
    while time.monotonic() - start < 0.1:  # a tenth of a second of pure CPU
        pass
    spinning = meter()
    assert asleep < 0.2 < spinning


async def test_a_backlog_that_fills_a_batch_is_written_at_once(lingering, writer):
    coalescer = lingering(3600, max_batch=2)
    burst = await queued_while_writing(coalescer, writer, ["b", "c"])
    assert [(await answer(c)).value for c in burst] == ["done b", "done c"]


async def test_stopping_while_the_writer_waits_fails_the_requests_queued(lingering, writer):
    coalescer = lingering(3600)
    burst = await queued_while_writing(coalescer, writer, ["b", "c"])
    await asyncio.sleep(0.01)
    await asyncio.wait_for(coalescer.stop(), 2)
    for call in burst:
        with pytest.raises(asyncio.CancelledError):
            await answer(call)
    assert writer.batches == [["a"]]
