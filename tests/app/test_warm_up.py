"""gunicorn's warm-up (bot.warm_up): the default town's index before the fork, none when there is no default town."""
from __future__ import annotations

import logging

from bot import warm_up
from bot.core.tenancy import town_caches, use_town
from bot.knowledge.index import knowledge, log_cache_stats
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.towns.store import create_town


def _built(app, town_id: int) -> int | None:
    """Return how many entries this process's index of a town holds, None when it has none."""
    caches = town_caches("kb_index", app)
    cache = caches.peek(town_id) if caches else None
    return len(cache.latest.entries) if cache and cache.latest else None


def test_warm_up_builds_the_default_towns_index_outside_any_town(loaded_app, no_default_town, caplog):
    # gunicorn's when_ready hook runs in the master with no request and no current town.
    with caplog.at_level(logging.INFO):
        warm_up(loaded_app)
    assert _built(loaded_app, DEFAULT_TOWN_ID) == 20
    assert "warm-up skipped" not in caplog.text


def test_with_no_default_town_warm_up_builds_no_index_and_says_so(loaded_app, no_default_town, caplog):
    loaded_app.config["DEFAULT_TOWN"] = ""  # many towns, none served without a prefix
    with caplog.at_level(logging.INFO):
        warm_up(loaded_app)
    assert town_caches("kb_index", loaded_app) is None
    assert "no default town" in caplog.text and "warm-up skipped" not in caplog.text
    # The first question of a town builds its index, as for a town dropped from the LRU.
    with loaded_app.app_context(), use_town(DEFAULT_TOWN_ID):
        assert len(knowledge().entries) == 20
    assert _built(loaded_app, DEFAULT_TOWN_ID) == 20


def test_a_default_town_that_does_not_exist_is_not_warmed_and_start_goes_on(loaded_app, no_default_town, caplog):
    loaded_app.config["DEFAULT_TOWN"] = "nowhere"
    with caplog.at_level(logging.INFO):
        warm_up(loaded_app)
    assert town_caches("kb_index", loaded_app) is None
    assert "no default town" in caplog.text


def test_decision_cache_stats_sum_every_town_this_process_holds(loaded_app, caplog):
    with loaded_app.app_context():
        other = create_town("biei", "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"])
        # The default town is asked one question three times (one miss, two hits), the other town twice.
        for town_id, asked in ((DEFAULT_TOWN_ID, 3), (other.id, 2)):
            with use_town(town_id):
                snapshot = knowledge()
                for _ in range(asked):
                    snapshot.decide("給食費ってタダになるの？")
    with caplog.at_level(logging.INFO, logger="bot.knowledge.index"):
        log_cache_stats(loaded_app)  # gunicorn's worker_exit: outside any app context
    assert "decision cache: hits=3 misses=2 (2 town(s))" in caplog.text
