"""Redis URLs in the spellings Celery and redis-py each expect, and one database per test process."""

from cxm.conf import celery_broker_url, redis_client_url, redis_url_with_database


def test_a_socket_url_keeps_its_database_in_both_spellings():
    celery = "redis+socket:///srv/redis.sock?virtual_host=3"
    assert redis_client_url(celery) == "unix:///srv/redis.sock?db=3"
    assert celery_broker_url(redis_client_url(celery)) == celery


def test_another_database_of_the_same_socket_server():
    assert redis_url_with_database("redis+socket:///srv/redis.sock", 2) == (
        "redis+socket:///srv/redis.sock?virtual_host=2"
    )
    assert redis_url_with_database("unix:///srv/redis.sock?db=0&timeout=5", 4) == (
        "unix:///srv/redis.sock?timeout=5&db=4"
    )


def test_another_database_of_the_same_tcp_server():
    assert redis_url_with_database("redis://:secret@cache:6379/0", 5) == "redis://:secret@cache:6379/5"
    assert redis_url_with_database("redis://cache:6379", 1) == "redis://cache:6379/1"
    assert redis_url_with_database("rediss://cache/0?ssl_cert_reqs=none", 2) == (
        "rediss://cache/2?ssl_cert_reqs=none"
    )
