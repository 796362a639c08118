"""The settings a site may change that can change an assessment: site thresholds and the settings digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from jakcheck.engine import check_settings, site_adjustable_thresholds
from jakcheck.errors import ConfigError
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.settings import Settings, load_settings


def test_site_thresholds_from_a_file_and_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("site_thresholds:\n  monitoring-grace-days: 21\n  tb-screen-lookback-days: 180\n")
    from_file = load_settings({}, config)
    assert from_file.site_thresholds == (("monitoring-grace-days", 21.0), ("tb-screen-lookback-days", 180.0))
    from_env = load_settings({"JAKCHECK_SITE_THRESHOLDS": '{"tb-screen-lookback-days": 180, '
                                                          '"monitoring-grace-days": 21}'})
    assert from_env.site_thresholds == from_file.site_thresholds and from_env.digest() == from_file.digest()
    assert load_settings({}).site_thresholds == ()


@pytest.mark.parametrize("text", ["site_thresholds: [1, 2]\n", "site_thresholds:\n  monitoring-grace-days: x\n",
                                  "site_thresholds:\n  monitoring-grace-days: true\n"])
def test_site_thresholds_must_be_numbers_by_key(tmp_path: Path, text: str) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match="site_thresholds"):
        load_settings({}, config)


def test_the_digest_covers_exactly_the_settings_that_can_change_an_assessment() -> None:
    base = Settings()
    assert base.digest() == Settings(region="US", cors_origins=("https://x.example",)).digest()
    assert base.digest() != Settings(score2_risk_region="high").digest()
    assert base.digest() != Settings(site_thresholds=(("monitoring-grace-days", 21.0),)).digest()
    assert base.digest().startswith("sha256:") and len(base.digest()) == len("sha256:") + 16


def test_only_site_adjustable_defaults_may_be_set() -> None:
    """Site-adjustable: the thresholds whose meaning says no source states the number; a sourced number (the
    EMA's age 65, the SCORE2 category cut-offs) is refused."""
    k = default_knowledge()
    adjustable = site_adjustable_thresholds(k)
    assert "monitoring-grace-days" in adjustable and "age-risk-years" not in adjustable
    assert all("site-adjustable default" in k.thresholds[key].meaning.lower() for key in adjustable)
    check_settings(k, Settings(site_thresholds=tuple((key, 1.0) for key in adjustable)))
    for sourced in ("age-risk-years", "cv-risk-high-percent-score2", "no-such-threshold"):
        with pytest.raises(ConfigError, match=sourced):
            check_settings(k, Settings(site_thresholds=((sourced, 70.0),)))
