from __future__ import annotations

import re

from bot.core import i18n
from tests.helpers import CONFIG, REPO


def test_french_and_english_texts_with_fallback_to_french():
    catalog = i18n.Catalog.load(CONFIG)
    assert catalog.problems == []
    assert "12" in catalog.t("fr", "core.errors.cooldown", seconds=12)
    assert catalog.t("en", "core.errors.cooldown", seconds=12).startswith("Easy")
    assert catalog.t("de", "core.errors.cooldown", seconds=3) == catalog.t(
        "fr", "core.errors.cooldown", seconds=3
    )


def test_missing_key_returns_the_key_instead_of_crashing():
    catalog = i18n.Catalog.load(CONFIG)
    assert catalog.t("fr", "no.such.key") == "no.such.key"


def test_every_english_text_exists_in_french_with_the_same_fields():
    catalog = i18n.Catalog.load(CONFIG)
    for key, template in catalog.texts["en"].items():
        assert key in catalog.texts["fr"], key
        assert i18n.placeholders(template) == i18n.placeholders(catalog.texts["fr"][key]), key


def test_locale_choice_prefers_member_then_guild_then_default():
    assert i18n.pick_locale("en-US", "fr") == "en"
    assert i18n.pick_locale("fr", "en") == "fr"
    assert i18n.pick_locale("de", "en") == "en"
    assert i18n.pick_locale("de", None) == "fr"
    assert i18n.pick_locale(None, None, default="en") == "en"


def test_every_text_key_written_in_the_code_exists_in_french():
    """A key missing from the catalog reaches members as the raw key (« jobs.alerts.off »)."""
    catalog = i18n.Catalog.load(CONFIG)
    french = catalog.texts["fr"]
    groups = {key.rsplit(".", 1)[0] for key in french}  # keys completed at run time, e.g. f"{group}.{x}"
    roots = "|".join(sorted({key.split(".")[0] for key in french}))
    literal = re.compile(rf"""["']((?:{roots})\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")
    missing = []
    for source in sorted([*(REPO / "bot").rglob("*.py"), *(REPO / "cogs").rglob("*.py")]):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            missing += [
                f"{source.relative_to(REPO)}:{number} {key}"
                for key in literal.findall(line)
                if key not in french and key not in groups
            ]
    assert missing == []


def test_french_texts_get_no_break_spaces_but_what_members_wrote_is_left_as_written(tmp_path):
    folder = tmp_path / "locales"
    for locale, text in (("fr", "Raison : {reason} ! « {title} »"), ("en", "Reason: {reason}! “{title}”")):
        (folder / locale).mkdir(parents=True)
        (folder / locale / "core.yaml").write_text(f'core:\n  notice: "{text}"\n', encoding="utf-8")
    (folder / "fr" / "core.yaml").write_text(
        'core:\n  notice: "Raison : {reason} ! « {title} »"\n  only_fr: "Vraiment ?"\n', encoding="utf-8"
    )
    catalog = i18n.Catalog.load(tmp_path)
    assert catalog.problems == []
    rendered = catalog.t("fr", "core.notice", reason="trop fort !", title="PAT : soutenir")
    assert rendered == "Raison\u00a0: trop fort !\u202f! «\u00a0PAT : soutenir\u00a0»"
    assert catalog.t("en", "core.notice", reason="loud !", title="x") == "Reason: loud !! “x”"
    assert catalog.t("en", "core.only_fr") == "Vraiment\u202f?", "the French fallback is French text"
