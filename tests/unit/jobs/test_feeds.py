"""Job feeds against a real local HTTP server (127.0.0.1): RSS, Atom, 304, broken, slow, repeated."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from aiohttp import web

from bot import jobs
from bot.jobs import feeds

G = 2002
NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Offres</title><link>https://reseau.example.org</link>
<description>Offres du réseau</description>
<item><title>Pair-aidant·e en équipe mobile (CDD)</title><link>https://reseau.example.org/offres/1?utm_source=rss</link>
<guid>offre-1</guid>
<description>&lt;p&gt;Mi-temps, &lt;b&gt;Liège&lt;/b&gt;. Pair-aidance en psychiatrie. @everyone&lt;/p&gt;
</description></item>
<item><title>Comptable</title><link>https://reseau.example.org/offres/2</link><guid>offre-2</guid>
<description>Tenue des comptes.</description></item>
<item><title>Expert de vécu en logement</title><link>https://reseau.example.org/offres/3</link><guid>offre-3</guid>
<description>Accompagnement vers le logement.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Emplois pairs</title><id>urn:emplois</id>
<updated>2025-03-01T10:00:00Z</updated>
<entry><title>Médiateur de santé pair</title><id>urn:emplois:7</id><link href="https://emplois.example.fr/7"/>
<updated>2025-03-01T10:00:00Z</updated><author><name>CH du Rivage</name></author>
<summary>Poste en CDI, temps plein, équipe de réhabilitation.</summary></entry>
</feed>"""


class FeedServer:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.conditional: dict[str, int] = {}
        self.rss = RSS
        self.runner: web.AppRunner | None = None
        self.release = asyncio.Event()
        self.base = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/rss", self.serve_rss)
        app.router.add_get("/atom", self.serve_atom)
        app.router.add_get("/bad", self.serve_bad)
        app.router.add_get("/slow", self.serve_slow)
        app.router.add_get("/gone", self.serve_gone)
        app.router.add_get("/moved", self.serve_moved)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"

    def count(self, request: web.Request) -> None:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1

    async def serve_rss(self, request: web.Request) -> web.Response:
        self.count(request)
        etag = f'"{hash(self.rss) & 0xFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            self.conditional[request.path] = self.conditional.get(request.path, 0) + 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=self.rss.encode(), content_type="application/rss+xml", headers={"ETag": etag}
        )

    async def serve_atom(self, request: web.Request) -> web.Response:
        self.count(request)
        modified = "Sat, 01 Mar 2025 10:00:00 GMT"
        if request.headers.get("If-Modified-Since") == modified:
            self.conditional[request.path] = self.conditional.get(request.path, 0) + 1
            return web.Response(status=304)
        return web.Response(
            body=ATOM.encode(), content_type="application/atom+xml", headers={"Last-Modified": modified}
        )

    async def serve_bad(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(text="<html><body>Erreur 500 déguisée</body>", content_type="text/html")

    async def serve_slow(self, request: web.Request) -> web.Response:
        self.count(request)
        try:
            await asyncio.wait_for(self.release.wait(), 5)
        except TimeoutError:
            pass
        return web.Response(text=RSS, content_type="application/rss+xml")

    async def serve_gone(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(status=500)

    async def serve_moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/atom")


@pytest.fixture
async def server():
    srv = FeedServer()
    await srv.start()
    yield srv
    srv.release.set()
    await srv.runner.cleanup()


def config_with(*feeds_: jobs.FeedConfig) -> jobs.JobsConfig:
    return jobs.JobsConfig(jobs.DEFAULT_CONFIG.regions, jobs.DEFAULT_CONFIG.contracts, feeds_)


async def poll(db, config, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("allow_loopback", True)
    kw.setdefault("timeout_seconds", 2.0)
    return await feeds.poll_guild(db, G, config, **kw)


async def test_rss_entries_become_pending_offers_once(db, server):
    feed = jobs.FeedConfig("Réseau", server.base + "/rss", "Wallonie", "CDD")
    config = config_with(feed)
    [report] = await poll(db, config)
    assert report.status == "ok"
    assert [o.title for o in report.new_offers] == [
        "Pair-aidant·e en équipe mobile (CDD)",
        "Comptable",
        "Expert de vécu en logement",
    ]
    first = report.new_offers[0]
    assert first.status == "pending" and first.source == "Réseau" and first.submitter_id is None
    assert first.region == "Wallonie" and first.contract == "CDD"
    assert "Liège" in first.missions and "<b>" not in first.missions
    assert "@everyone" not in first.missions  # neutralised
    assert jobs.FLAG_PAY_MISSING in first.flags

    [again] = await poll(db, config)  # conditional GET answered 304
    assert again.status == "not_modified" and again.new_offers == ()
    assert server.conditional["/rss"] == 1


async def test_entry_seen_twice_is_imported_once(db, server):
    feed = jobs.FeedConfig("Réseau", server.base + "/rss", "Wallonie")
    config = config_with(feed)
    await poll(db, config)
    # the feed changes (new ETag) but still lists the same three entries plus a new one
    server.rss = RSS.replace(
        "</channel>",
        "<item><title>Nouvelle offre</title><link>https://reseau.example.org/offres/4</link><guid>offre-4</guid>"
        "<description>Temps partiel.</description></item>"
        # same page as offre-1 under another guid: caught by its normalised link
        "<item><title>Doublon</title><link>http://www.reseau.example.org/offres/1</link><guid>autre</guid></item>"
        "</channel>",
    )
    [report] = await poll(db, config)
    assert [o.title for o in report.new_offers] == ["Nouvelle offre"]
    assert report.seen == 4
    total = await db.fetchval("SELECT count(*) FROM job_offers WHERE guild_id = ?", (G,))
    assert total == 4


async def test_a_link_shared_by_a_member_is_not_imported_again(db, server):
    member_offer = jobs.validate(
        jobs.OfferInput(
            "Pair-aidant",
            "Réseau",
            "Wallonie",
            "CDD",
            link="https://reseau.example.org/offres/3",
            missions="m",
            working_time="w",
            pay_status="p",
        ),
        jobs.DEFAULT_CONFIG,
        NOW,
    )
    await jobs.submit_offer(
        db, G, member_offer, submitter_id=5, publish_now=True, now=NOW, default_expiry_days=60
    )
    [report] = await poll(db, config_with(jobs.FeedConfig("Réseau", server.base + "/rss", "Wallonie")))
    assert "Expert de vécu en logement" not in [o.title for o in report.new_offers]
    assert report.seen == 1


async def test_atom_with_last_modified_and_keyword_filter(db, server):
    feed = jobs.FeedConfig("Emplois", server.base + "/atom", "Hauts-de-France", "CDI", ("santé pair",))
    [report] = await poll(db, config_with(feed), publish_now=True)
    [offer] = report.new_offers
    assert offer.title == "Médiateur de santé pair" and offer.employer == "CH du Rivage"
    assert offer.status == "published" and offer.expires_at == NOW + dt.timedelta(days=60)
    [again] = await poll(db, config_with(feed))
    assert again.status == "not_modified" and server.conditional["/atom"] == 1

    picky = jobs.FeedConfig(
        "Réseau", server.base + "/rss", "Wallonie", "CDD", ("pair aidance", "expert de vecu")
    )
    [filtered] = await poll(db, config_with(picky))
    assert [o.title for o in filtered.new_offers] == [
        "Pair-aidant·e en équipe mobile (CDD)",
        "Expert de vécu en logement",
    ]
    assert filtered.filtered == 1


async def test_redirects_are_followed(db, server):
    [report] = await poll(db, config_with(jobs.FeedConfig("Via", server.base + "/moved", "Bretagne")))
    assert report.status == "ok" and len(report.new_offers) == 1


async def test_a_malformed_feed_is_reported_once_then_on_recovery(db, server):
    feed = jobs.FeedConfig("Cassé", server.base + "/bad", "Bruxelles")
    [first] = await poll(db, config_with(feed))
    assert first.status == "error" and first.became_broken and "illisible" in first.error
    [second] = await poll(db, config_with(feed))
    assert second.status == "error" and not second.became_broken  # not reported again
    # the publisher fixes it (same URL now serves a valid feed)
    repaired = jobs.FeedConfig("Cassé", server.base + "/rss", "Bruxelles")
    await db.execute("UPDATE job_feed_state SET url = ? WHERE url = ?", (repaired.url, feed.url))
    [third] = await poll(db, config_with(repaired))
    assert third.status == "ok" and third.recovered
    [fourth] = await poll(db, config_with(repaired))
    assert not fourth.recovered


async def test_a_feed_that_times_out_is_an_error_not_a_hang(db, server):
    feed = jobs.FeedConfig("Lent", server.base + "/slow", "Bruxelles")
    started = asyncio.get_running_loop().time()
    [report] = await poll(db, config_with(feed), timeout_seconds=0.5)
    assert asyncio.get_running_loop().time() - started < 3
    assert report.status == "error" and report.became_broken and "0.5" in report.error


async def test_http_errors_and_loopback_refusal(db, server):
    [gone] = await poll(db, config_with(jobs.FeedConfig("Gone", server.base + "/gone", "Bruxelles")))
    assert gone.status == "error" and "500" in gone.error
    [refused] = await poll(
        db, config_with(jobs.FeedConfig("Local", server.base + "/rss", "Bruxelles")), allow_loopback=False
    )
    assert refused.status == "error" and "locale" in refused.error
    assert "/rss" not in server.hits  # never fetched
    with pytest.raises(feeds.FeedError):
        await feeds.check_url_allowed("http://localhost:8080/feed", allow_loopback=False)
    with pytest.raises(feeds.FeedError):
        await feeds.check_url_allowed("http://169.254.169.254/latest", allow_loopback=False)
    with pytest.raises(feeds.FeedError):
        await feeds.check_url_allowed("file:///etc/passwd", allow_loopback=True)


def test_parse_rejects_garbage_and_reads_both_formats():
    with pytest.raises(feeds.FeedError):
        feeds.parse(b"\x00\x01 not xml at all")
    assert [e.guid for e in feeds.parse(RSS.encode())] == ["offre-1", "offre-2", "offre-3"]
    assert [e.link for e in feeds.parse(ATOM.encode())] == ["https://emplois.example.fr/7"]


async def test_cli_poll_once_prints_what_it_found_and_schedules_posting(tmp_path, server):
    from bot.core import guild_config
    from bot.core.db import Database
    from bot.core.timers import TimerService
    from bot.jobs import cli as cli_jobs
    from tests.helpers import copy_config, make_settings

    config_dir = copy_config(tmp_path)
    (config_dir / "jobs.yaml").write_text(
        (config_dir / "jobs.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "feeds: []", f"feeds:\n  - name: Réseau\n    url: {server.base}/rss\n    region: Wallonie\n"
        ),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, RELAIS_FEATURES__ALLOW_LOOPBACK_URLS="true")
    settings = dataclasses.replace(settings, config_dir=config_dir)
    db = await Database.open(settings.database.path)
    await guild_config.set_channel(db, G, "offres", 555)
    await db.close()

    lines: list[str] = []
    assert await cli_jobs.poll_once(settings, None, out=lines.append) == 0
    assert "3 nouvelle(s) offre(s)" in lines[0] and "Réseau" in lines[0]
    assert any("Comptable" in line and "en attente de validation" in line for line in lines)
    lines.clear()
    assert await cli_jobs.poll_once(settings, None, out=lines.append) == 0
    assert "inchangé" in lines[0] and lines[-1].startswith("0 nouvelle")
    db = await Database.open(settings.database.path)
    pending = await TimerService(db).pending(G, jobs.KIND_PROCESS)
    await db.close()
    assert len(pending) == 3  # the running bot posts them


async def test_a_name_that_resolves_to_this_machine_is_refused_at_connection(db, server):
    """The address is checked after DNS, so a public-looking name cannot lead back to the bot's host."""
    from bot.core import netguard

    resolver = netguard.GuardedResolver(netguard.default_check(False))
    with pytest.raises(netguard.BlockedAddress):
        await resolver.resolve("localhost", 80)
    await resolver.close()
    async with netguard.guarded_session(allow_loopback=False) as session:
        with pytest.raises(feeds.FeedError, match="locale"):
            await feeds.fetch(session, "http://10.0.0.1/feed", allow_loopback=False)


# -- a large feed, served in small chunks ---------------------------------------------------------------
def big_rss(count: int, *, dated: bool = True) -> str:
    items = []
    for n in range(count, 0, -1):  # newest first, as feeds list them
        day = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)).strftime(
            "%a, %d %b %Y %H:%M:%S +0000"
        )
        items.append(
            f"<item><title>Offre numéro {n}</title><link>https://grand.example.org/offres/{n}</link>"
            f"<guid>grand-{n}</guid>"
            + (f"<pubDate>{day}</pubDate>" if dated else "")
            + f"<description>{'Accompagnement par les pairs. ' * 12}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Grand</title>'
        "<link>https://grand.example.org</link><description>Beaucoup d'offres</description>"
        + "".join(items)
        + "</channel></rss>"
    )


@pytest.fixture
async def chunked_server():
    state = {"body": big_rss(600).encode(), "hits": 0, "conditional": 0}

    async def serve(request: web.Request) -> web.StreamResponse:
        state["hits"] += 1
        etag = f'"{hash(state["body"]) & 0xFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            state["conditional"] += 1
            return web.Response(status=304, headers={"ETag": etag})
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml", "ETag": etag})
        await response.prepare(request)
        body = state["body"]
        for start in range(0, len(body), 8192):  # 8 KB at a time, as a slow server would
            await response.write(body[start : start + 8192])
            await asyncio.sleep(0)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/grand", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state["url"] = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/grand"
    yield state
    await runner.cleanup()


async def test_a_large_feed_sent_in_small_chunks_is_read_whole(db, chunked_server):
    assert len(chunked_server["body"]) > 300_000
    feed = jobs.FeedConfig("Grand", chunked_server["url"], "Wallonie", "CDD")
    [report] = await poll(db, config_with(feed), max_new_per_poll=1000)
    assert report.status == "ok" and len(report.new_offers) == 600
    assert await db.fetchval("SELECT count(*) FROM job_offers WHERE guild_id = ?", (G,)) == 600


async def test_new_entries_are_capped_per_poll_and_the_rest_come_next_oldest_first(db, chunked_server):
    chunked_server["body"] = big_rss(45).encode()
    feed = jobs.FeedConfig("Grand", chunked_server["url"], "Wallonie", "CDD")
    [first] = await poll(db, config_with(feed), max_new_per_poll=20)
    assert [o.title for o in first.new_offers] == [f"Offre numéro {n}" for n in range(1, 21)]
    [second] = await poll(db, config_with(feed), max_new_per_poll=20)  # same feed, same ETag: not a 304
    assert [o.title for o in second.new_offers] == [f"Offre numéro {n}" for n in range(21, 41)]
    [third] = await poll(db, config_with(feed), max_new_per_poll=20)
    assert [o.title for o in third.new_offers] == [f"Offre numéro {n}" for n in range(41, 46)]
    [fourth] = await poll(db, config_with(feed), max_new_per_poll=20)  # all read: the conditional GET is back
    assert fourth.status == "not_modified" and chunked_server["conditional"] == 1
    assert await db.fetchval("SELECT count(*) FROM job_offers WHERE guild_id = ?", (G,)) == 45


async def test_undated_entries_over_the_cap_come_oldest_first_by_their_place_in_the_feed(db, chunked_server):
    chunked_server["body"] = big_rss(30, dated=False).encode()
    feed = jobs.FeedConfig("Grand", chunked_server["url"], "Wallonie", "CDD")
    [first] = await poll(db, config_with(feed), max_new_per_poll=20)
    assert [o.title for o in first.new_offers] == [f"Offre numéro {n}" for n in range(1, 21)]
    [second] = await poll(db, config_with(feed), max_new_per_poll=20)
    assert sorted(o.title for o in second.new_offers) == sorted(f"Offre numéro {n}" for n in range(21, 31))


async def test_parsing_runs_off_the_event_loop(db, server, monkeypatch):
    import threading

    threads = []
    real = feeds.parse

    def spy(body):
        threads.append(threading.current_thread())
        return real(body)

    monkeypatch.setattr(feeds, "parse", spy)
    await poll(db, config_with(jobs.FeedConfig("Réseau", server.base + "/rss", "Wallonie")))
    assert threads and threads[0] is not threading.main_thread()


async def test_probe_reads_a_feed_without_importing_it_and_reports_failures_in_french(db, server):
    from bot.core import netguard

    async with netguard.guarded_session(allow_loopback=True) as session:
        ok = await feeds.probe(
            session, jobs.FeedConfig("Réseau", server.base + "/rss", "Wallonie"), allow_loopback=True
        )
        slow = await feeds.probe(
            session,
            jobs.FeedConfig("Lent", server.base + "/slow", "Bruxelles"),
            timeout_seconds=0.3,
            allow_loopback=True,
        )
        local = await feeds.probe(session, jobs.FeedConfig("Local", server.base + "/rss", "Bruxelles"))
    assert (ok.entries, ok.error) == (3, None)
    assert slow.entries is None and "pas de réponse en 0.3 s" == slow.error
    assert local.entries is None and "locale" in local.error
    assert await db.fetchval("SELECT COUNT(*) FROM job_offers") == 0  # a probe imports nothing
