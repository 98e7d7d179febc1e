"""``relais jobs poll --once``: read the job feeds now and print what was found.

New offers are stored exactly as the bot would store them (pending, or published when the
moderation queue is off) and a ``jobs.process`` timer is scheduled for each: the running bot
posts the moderators' card or the announcement within a minute. This command never posts to
Discord itself and never runs timers (the bot's dispatcher does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.core import settings as settings_module
from bot.core import timeutil
from bot.core.cli_options import add_config_options, load_settings
from bot.jobs import config as jobs_config
from bot.jobs import feeds, offers

STATUS_LABELS = {"pending": "en attente de validation", "published": "publiée"}


async def poll_once(settings: settings_module.Settings, guild_ids: list[int] | None, out=print) -> int:
    from bot.core.db import Database
    from bot.core.timers import TimerService

    config, problems = jobs_config.load_config(settings.config_dir)
    if problems:
        for problem in problems:
            out(str(problem))
        return 2
    if not config.feeds:
        out(f"Aucun flux listé dans {settings.config_dir / 'jobs.yaml'} (section feeds).")
        return 0
    db = await Database.open(settings.database.path)
    try:
        guilds = guild_ids or await feeds.guilds_with_jobs_channel(db)
        if not guilds:
            out("Aucun serveur n'a de salon d'offres configuré (/config salon offres) : précisez --guild ID.")
            return 1
        timers = TimerService(db)
        found = 0
        for guild_id in guilds:
            reports = await feeds.poll_guild(
                db,
                guild_id,
                config,
                now=timeutil.now(),
                timeout_seconds=settings.jobs.feed_timeout_seconds,
                allow_loopback=settings.features.allow_loopback_urls,
                publish_now=not settings.jobs.moderation_queue,
                default_expiry_days=settings.jobs.default_expiry_days,
                max_new_per_poll=settings.jobs.feed_max_new_per_poll,
            )
            for report in reports:
                out(describe(guild_id, report))
                for offer in report.new_offers:
                    found += 1
                    out(
                        f"  + n° {offer.id} {offer.title} — {offer.employer} "
                        f"[{STATUS_LABELS.get(offer.status, offer.status)}]"
                    )
                    await timers.schedule(
                        guild_id,
                        offers.KIND_PROCESS,
                        timeutil.now(),
                        {"offer_id": offer.id},
                        key=f"jobs:process:{offer.id}",
                    )
        out(f"{found} nouvelle(s) offre(s) au total ; le bot les publiera ou les enverra en validation.")
        return 0
    finally:
        await db.close()


def describe(guild_id: int, report: feeds.FeedReport) -> str:
    head = f"Serveur {guild_id} — flux « {report.feed.name} » ({report.feed.url}) : "
    if report.status == "error":
        suffix = " (nouvelle panne, signalée dans le journal de modération)" if report.became_broken else ""
        return head + f"en panne — {report.error}{suffix}"
    if report.status == "not_modified":
        return head + "inchangé depuis la dernière lecture (304)"
    recovered = " ; de nouveau en état de marche" if report.recovered else ""
    return head + (
        f"{len(report.new_offers)} nouvelle(s) offre(s), {report.seen} déjà vue(s), "
        f"{report.filtered} écartée(s) par les mots-clés, {report.rejected} inutilisable(s){recovered}"
    )


def cmd_poll(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    guilds = [args.guild] if args.guild else None
    if args.once:
        return asyncio.run(poll_once(settings, guilds))
    try:
        while True:
            code = asyncio.run(poll_once(settings, guilds))
            if code not in (0, 1):
                return code
            print(
                f"Prochaine lecture dans {settings.jobs.feed_poll_hours:g} h (Ctrl+C pour arrêter).",
                file=sys.stderr,
            )
            asyncio.run(asyncio.sleep(settings.jobs.feed_poll_hours * 3600))
    except KeyboardInterrupt:
        return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("jobs", help="offres d'emploi : flux RSS/Atom")
    jobs_sub = group.add_subparsers(dest="jobs_command", required=True)
    poll = jobs_sub.add_parser("poll", help="lire les flux d'offres et afficher ce qui a été trouvé")
    poll.add_argument(
        "--once", action="store_true", help="une seule lecture, tout de suite (sinon : en boucle)"
    )
    poll.add_argument(
        "--guild",
        type=int,
        default=None,
        metavar="ID",
        help="serveur qui reçoit les offres (défaut : ceux qui ont un salon d'offres)",
    )
    add_config_options(poll)
    poll.set_defaults(func=cmd_poll)
