import math

import pytest

from services.common.config import Settings
from services.common.geo import bounding_box, haversine_km, valid_latitude, valid_longitude


def test_haversine_shanghai_to_hangzhou_is_about_165_km():
    assert haversine_km(31.2304, 121.4737, 30.2741, 120.1551) == pytest.approx(164.9, abs=1.0)


def test_haversine_is_zero_for_the_same_point_and_symmetric():
    assert haversine_km(31.2, 121.4, 31.2, 121.4) == 0
    assert haversine_km(31.2, 121.4, 30.2, 120.1) == haversine_km(30.2, 120.1, 31.2, 121.4)


@pytest.mark.parametrize("lat,lng,radius", [(31.2, 121.4, 5), (0, 179.99, 50), (89.9, 10, 30)])
def test_bounding_box_contains_every_point_within_the_radius(lat, lng, radius):
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius)
    for bearing in range(0, 360, 15):
        # a point just inside the radius along each bearing
        d = radius * 0.999 / 6371.0088
        b = math.radians(bearing)
        p1, l1 = math.radians(lat), math.radians(lng)
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1),
                             math.cos(d) - math.sin(p1) * math.sin(p2))
        plat, plng = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
        assert haversine_km(lat, lng, plat, plng) <= radius
        assert min_lat <= plat <= max_lat and min_lng <= plng <= max_lng


@pytest.mark.parametrize("lat,ok", [(-90, True), (90, True), (90.0001, False), (math.nan, False)])
def test_latitude_outside_range_is_invalid(lat, ok):
    assert valid_latitude(lat) is ok


def test_longitude_outside_range_is_invalid():
    assert valid_longitude(-180) and valid_longitude(180)
    assert not valid_longitude(180.5) and not valid_longitude(math.inf)


def test_settings_read_from_environment_with_documented_defaults():
    assert Settings.from_env({}).listen == "127.0.0.1:50051"
    s = Settings.from_env({"ONESTOCK_LISTEN": "0.0.0.0:6000", "ONESTOCK_REFLECTION": "off",
                           "ONESTOCK_MAX_LINES": "20"})
    assert (s.listen, s.reflection, s.limits.max_lines) == ("0.0.0.0:6000", False, 20)


def test_road_distances_are_off_unless_a_provider_is_named():
    assert Settings.from_env({}).road_distance_url == ""
    s = Settings.from_env({"ONESTOCK_ROAD_DISTANCE_URL": "http://osrm:5000",
                           "ONESTOCK_ROAD_DISTANCE_PROFILE": "bike",
                           "ONESTOCK_ROAD_DISTANCE_TIMEOUT_MS": "250",
                           "ONESTOCK_ROAD_DISTANCE_RETRY_S": "0",
                           "ONESTOCK_ROAD_DISTANCE_KEEP_S": "3600"})
    assert (s.road_distance_url, s.road_distance_profile, s.road_distance_timeout_ms,
            s.road_distance_retry_s, s.road_distance_keep_s) == (
        "http://osrm:5000", "bike", 250, 0, 3600)
    assert (Settings.from_env({}).road_distance_retry_s,
            Settings.from_env({}).road_distance_keep_s) == (5, 86_400)


def test_settings_reject_malformed_numbers_naming_the_variable():
    with pytest.raises(ValueError, match="ONESTOCK_MAX_LINES"):
        Settings.from_env({"ONESTOCK_MAX_LINES": "many"})


def test_simulation_settings_come_from_the_environment_and_refuse_zero_workers():
    s = Settings.from_env({"ONESTOCK_SIMULATION_DIR": "/srv/sims",
                           "ONESTOCK_SIMULATION_WORKERS": "4"})
    assert (str(s.simulation_dir), s.simulation_workers, s.simulation_max_orders) == (
        "/srv/sims", 4, 5_000_000)
    with pytest.raises(ValueError, match="ONESTOCK_SIMULATION_WORKERS"):
        Settings.from_env({"ONESTOCK_SIMULATION_WORKERS": "0"})


@pytest.mark.parametrize("variable", ["ONESTOCK_RESERVE_MAX_BATCH", "ONESTOCK_RESERVE_WORKERS",
                                      "ONESTOCK_ORDER_MAX_BATCH", "ONESTOCK_ORDER_WORKERS",
                                      "ONESTOCK_SIMULATION_KEEP_RUNS",
                                      "ONESTOCK_PICKUP_CODE_ATTEMPTS",
                                      "ONESTOCK_PICKUP_CODE_LOCKOUT_S",
                                      "ONESTOCK_MEMBER_CODE_TTL_S",
                                      "ONESTOCK_BATCH_LINGER_BACKLOG"])
def test_counts_refuse_zero_naming_the_variable(variable):
    assert Settings.from_env({variable: "3"}).checked()
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: "0"})


def test_reservation_batches_wait_10_ms_after_a_backlog_of_8_orders_never_unless_set():
    defaults = Settings.from_env({})
    assert (defaults.reserve_linger_ms, defaults.order_linger_ms,
            defaults.batch_linger_backlog) == (10, 0, 8)
    assert Settings.from_env({"ONESTOCK_RESERVE_LINGER_MS": "0",
                              "ONESTOCK_ORDER_LINGER_MS": "5"}).checked().order_linger_ms == 5
    for variable in ("ONESTOCK_RESERVE_LINGER_MS", "ONESTOCK_ORDER_LINGER_MS"):
        for bad in ("-1", "1001", "nan"):
            with pytest.raises(ValueError, match=f"{variable} must be 0 to 1000"):
                Settings.from_env({variable: bad})


def test_a_member_code_lives_two_minutes_unless_set_and_never_past_an_hour():
    assert Settings.from_env({}).member_code_ttl_s == 120
    assert Settings.from_env({"ONESTOCK_MEMBER_CODE_TTL_S": "3600"}).member_code_ttl_s == 3600
    with pytest.raises(ValueError, match="ONESTOCK_MEMBER_CODE_TTL_S must be at most 3600"):
        Settings.from_env({"ONESTOCK_MEMBER_CODE_TTL_S": "3601"})


@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "garbage"), ("DATABASE_URL", "mysql://u@db/x"),
    ("ONESTOCK_LISTEN", "nonsense"), ("ONESTOCK_LISTEN", "127.0.0.1:99999"),
    ("ONESTOCK_LISTEN", ":50051"), ("ONESTOCK_METRICS_LISTEN", "localhost:http"),
    ("ONESTOCK_ROAD_DISTANCE_URL", "osrm:5000"), ("ONESTOCK_ROAD_DISTANCE_URL", "ftp://osrm"),
    ("ONESTOCK_ROAD_DISTANCE_URL", "http://osrm:5000/?x=1"),
    ("ONESTOCK_ROAD_DISTANCE_PROFILE", "bike/../x"), ("ONESTOCK_ROAD_DISTANCE_TIMEOUT_MS", "0"),
    ("ONESTOCK_ROAD_DISTANCE_TIMEOUT_MS", "soon"), ("ONESTOCK_ROAD_DISTANCE_RETRY_S", "-1"),
    ("ONESTOCK_ROAD_DISTANCE_RETRY_S", "3601"), ("ONESTOCK_ROAD_DISTANCE_RETRY_S", "nan"),
    ("ONESTOCK_ROAD_DISTANCE_KEEP_S", "-1"), ("ONESTOCK_ROAD_DISTANCE_KEEP_S", "2592001"),
    ("ONESTOCK_KEEPALIVE_S", "0"), ("ONESTOCK_KEEPALIVE_TIMEOUT_S", "nan"),
])
def test_addresses_and_urls_that_cannot_work_are_refused_naming_the_variable(variable, value):
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "postgres://u:p@db.internal:6432/onestock"),
    ("DATABASE_URL", "postgresql+asyncpg://u@localhost/x"),
    ("ONESTOCK_LISTEN", "[::]:50051"), ("ONESTOCK_LISTEN", "127.0.0.1:0"),
    ("ONESTOCK_METRICS_LISTEN", "off"), ("ONESTOCK_ROAD_DISTANCE_URL", "http://10.0.0.7:5000"),
    ("ONESTOCK_ROAD_DISTANCE_URL", "https://maps.example.cn/osrm/"),
])
def test_addresses_and_urls_of_every_usual_shape_are_taken(variable, value):
    assert Settings.from_env({variable: value})


def test_a_chains_own_tiers_and_points_value_come_from_the_environment():
    rules = Settings.from_env({"ONESTOCK_MEMBER_TIERS": "0:1, 500:1.25, 2000:1.5, 10000:3",
                               "ONESTOCK_POINTS_PER_YUAN_OFF": "50",
                               "ONESTOCK_POINTS_MAX_SHARE_PERCENT": "30"}).member_rules
    assert [(t.tier, t.min_growth, t.rate_per_100_yuan) for t in rules.tiers] == [
        ("STANDARD", 0, 100), ("SILVER", 500, 125), ("GOLD", 2000, 150), ("DIAMOND", 10000, 300)]
    assert (rules.points_per_yuan_off, rules.most_points_may_pay(10_001)) == (50, 3_000)
    assert Settings.from_env({}).member_rules.tiers[1].min_growth == 1_000  # the documented default
    assert not Settings.from_env({}).member_rules.till_earning_needs_code
    assert Settings.from_env({"ONESTOCK_TILL_EARNING_NEEDS_MEMBER_CODE": "true"}
                             ).member_rules.till_earning_needs_code


@pytest.mark.parametrize("tiers,why", [
    ("0:1,500:1.25", "needs 4 tiers (STANDARD, SILVER, GOLD, DIAMOND), got 2"),
    ("1:1,2:1,3:1,4:1", "STANDARD must start at 0 growth"),
    ("0:1,500:x,2000:1.5,10000:3", "SILVER: '500:x' is not growth:rate"),
    ("0:1,500:inf,2000:1.5,10000:3", "SILVER: '500:inf' is not growth:rate"),
    ("0:1,500:1.255,2000:1.5,10000:3", "SILVER: the rate must be 0 to 100 points per yuan"),
    ("0:1,500:1,500:2,10000:3", "GOLD must start above SILVER's 500 growth"),
])
def test_tiers_that_cannot_work_are_refused_naming_the_tier(tiers, why):
    with pytest.raises(ValueError, match="ONESTOCK_MEMBER_TIERS") as refused:
        Settings.from_env({"ONESTOCK_MEMBER_TIERS": tiers})
    assert why in str(refused.value)
    with pytest.raises(ValueError, match="ONESTOCK_POINTS_PER_YUAN_OFF must be 1 to"):
        Settings.from_env({"ONESTOCK_POINTS_PER_YUAN_OFF": "0"})
    with pytest.raises(ValueError, match="ONESTOCK_POINTS_MAX_SHARE_PERCENT must be 0 to 100"):
        Settings.from_env({"ONESTOCK_POINTS_MAX_SHARE_PERCENT": "101"})
