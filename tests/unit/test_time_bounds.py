"""Every time a caller or a file gives OneStock is taken from 1970 up to the end of 2199,
the same way wherever it arrives (services/common/ranges.py)."""

from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.routing.v1 import routing_service_pb2 as routing

from services.common.config import Limits
from services.common.errors import Collector, InvalidArgument
from services.common.input_files import BadField
from services.common.validation import check_time
from services.inventory import files
from services.routing.validation import route_request


def stamp(when: datetime) -> Timestamp:
    made = Timestamp()
    made.FromDatetime(when)
    return made


def refusals(when: datetime) -> list[str]:
    """What each way in says of ``when``: a sales period's end, an order's time, a closed
    period in the locations file ("" where it is taken)."""
    errors = Collector()
    check_time(errors, ords.SummarizeSalesRequest(end_time=stamp(when)), "end_time", "end_time")
    said = [errors.violations[0].description if errors.violations else ""]
    order = routing.RouteRequest(lines=[routing.OrderLine(sku_id="LAMP", quantity=1)],
                                 mode=routing.FULFILMENT_MODE_AUTO, latitude=31.23,
                                 longitude=121.47, city="Shanghai", order_time=stamp(when))
    try:
        route_request(order, Limits())
        said.append("")
    except InvalidArgument as error:
        said.append(error.violations[0].description)
    try:
        given = f"{when:%Y-%m-%dT%H:%M}Z"  # as the start, or after 2100 as the end
        files.parse_closures(f"{given}/2100-01-01T00:00Z" if when.year < 2100
                             else f"2100-01-01T00:00Z/{given}")
        said.append("")
    except BadField as error:  # '<time>' in '<period>' must be ...
        said.append(error.problem[error.problem.index("must"):])
    return said


@pytest.mark.parametrize("when", [datetime(1970, 1, 1, tzinfo=UTC),
                                  datetime(2199, 12, 31, 23, 59, tzinfo=UTC)])
def test_a_time_from_1970_to_the_last_minute_of_2199_is_taken_everywhere(when):
    assert refusals(when) == ["", "", ""]


def test_a_time_from_2200_is_refused_everywhere_in_the_same_words():
    assert refusals(datetime(2200, 1, 1, tzinfo=UTC)) == ["must be from 1970 to 2199"] * 3
