"""Translation helpers: the active language, locale formats (Babel) and the Jinja i18n extension."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import cspm
from cspm.config import Config
from cspm.errors import ConfigError
from cspm.i18n import (
    check_language,
    chosen_language,
    format_date,
    format_datetime,
    gettext,
    language,
    ngettext,
    use_language,
    weekday_name,
)
from cspm.render.formats import fmt_h, fmt_pct, fmt_rounded, fmt_term, fmt_thousands
from cspm.render.html import environment
from cspm.units import format_duration


def test_english_is_the_default_and_the_code_text():
    assert language() == "en"
    assert gettext("Overview") == "Overview"
    assert ngettext("{n} ticket", "{n} tickets", 2) == "{n} tickets"
    assert [format_duration(s) for s in (45, 720, 3.2 * 3600, 30 * 3600, 4.5 * 86400, -7200)] == [
        "45 s", "12 min", "3.2 h", "30 h", "4.5 d", "-2.0 h"]  # fmt: skip
    assert (fmt_h(2.5), fmt_h(12.34), fmt_pct(0.125), fmt_thousands(12345), fmt_rounded(1234.5)) == (
        "2.50 h", "12.3 h", "12.5%", "12,345", "1,234")  # fmt: skip
    assert format_datetime(datetime(2024, 3, 5, 14, 3, tzinfo=UTC)) == "2024-03-05 14:03"
    assert weekday_name("Mon") == "Mon"


def test_chinese_catalog_and_locale_formats():
    with use_language("zh"):
        assert language() == "zh"
        assert gettext("Overview") == "概览"
        assert ngettext("{n} ticket", "{n} tickets", 2).format(n=2) == "2 张"
        assert [format_duration(s) for s in (45, 720, 3.2 * 3600, 4.5 * 86400, -7200)] == [
            "45秒", "12分钟", "3.2小时", "4.5天", "-2.0小时"]  # fmt: skip
        assert (fmt_h(2.5), fmt_pct(0.125), fmt_thousands(12345), fmt_rounded(1234.5)) == (
            "2.50小时", "12.5%", "12,345", "1,234")  # fmt: skip
        assert format_datetime(datetime(2024, 3, 5, 14, 3, tzinfo=UTC)) == "2024年3月5日 14:03:00"
        assert format_date(datetime(2024, 3, 5)) == "2024年3月5日"
        assert weekday_name("Mon") == "周一" and weekday_name("Sun") == "周日"
        assert fmt_term("business") == "工作时间" and fmt_term("some step") == "some step"
    assert language() == "en"  # the block restored English


def test_language_names_and_precedence():
    assert check_language("zh-CN") == "zh" and check_language("zh_CN") == "zh" and check_language("EN") == "en"
    with pytest.raises(ValueError, match="'fr' is not available"):
        check_language("fr")
    assert chosen_language("zh") == "zh"  # nothing set: the config's language
    with use_language("en"):
        assert chosen_language("zh") == "en"  # set (the CLI's --lang): it wins over the config


def test_config_report_language(tmp_path):
    assert Config().report.language == "en"
    path = tmp_path / "c.yaml"
    path.write_text("report:\n  language: zh\n", encoding="utf-8")
    assert cspm.load_config(path).report.language == "zh"
    path.write_text("report:\n  language: fr\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="report.language"):
        cspm.load_config(path)


def test_one_jinja_environment_translates_at_render_time_and_escapes_values():
    template = environment().from_string(
        '{{ _("Overview") }} | {% trans %}Steps: {{ steps }}{% endtrans %} | {{ "business"|t }}'
    )
    assert template.render(steps="<b>") == "Overview | Steps: &lt;b&gt; | business"
    with use_language("zh"):
        assert template.render(steps="<b>") == "概览 | 步骤：&lt;b&gt; | 工作时间"
