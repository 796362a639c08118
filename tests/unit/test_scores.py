"""Calculator inputs gathered from Patient Facts (jakcheck.patient.score_inputs) and the scores in the
assessment (jakcheck.rules.scores, `scores` in the output)."""

from __future__ import annotations

import pytest

from jakcheck.calculators import CALCULATORS
from jakcheck.engine import assess
from jakcheck.errors import ConfigError
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.patient.derived import ckd_epi_2021
from jakcheck.patient.score_inputs import disease_activity_items, risk_items
from jakcheck.rules.scores import compute_scores
from jakcheck.settings import Settings, load_settings
from tests.builders import PatientBuilder as P


def ra(age: int = 62) -> P:
    return P().aged(age).with_condition("rheumatoid-arthritis")


# --- input gathering ---------------------------------------------------------------------------------------


def test_nothing_on_record_is_missing_not_false() -> None:
    """An empty record: every input is None, including the yes/no ones (never read as "no")."""
    items = risk_items(P().aged(60).build())
    assert items["age"].value == 60 and items["sex"].value == "female"
    for key in ("total_cholesterol", "hdl_cholesterol", "systolic_bp", "egfr", "bmi", "race",
                "current_smoker", "diabetes", "on_antihypertensive", "on_statin"):
        assert items[key].value is None, key
    assert "rheumatoid_arthritis" not in items


def test_yes_no_inputs_present_stated_absent_or_unknown() -> None:
    present = risk_items(P().with_condition("diabetes").with_med("statin").with_med("antihypertensive")
                         .smoking("current").build())
    assert {k: present[k].value for k in ("diabetes", "on_statin", "on_antihypertensive", "current_smoker")} == {
        "diabetes": True, "on_statin": True, "on_antihypertensive": True, "current_smoker": True}
    assert present["diabetes"].evidence and present["on_statin"].evidence
    stated = risk_items(P().stating_absent("diabetes", "statin", "antihypertensive").smoking("former").build())
    assert {k: stated[k].value for k in ("diabetes", "on_statin", "on_antihypertensive", "current_smoker")} == {
        "diabetes": False, "on_statin": False, "on_antihypertensive": False, "current_smoker": False}
    assert stated["diabetes"].evidence == ("card:known_absent",)
    stopped = risk_items(P().with_med("statin", current=False).with_condition("diabetes", active=False).build())
    assert stopped["on_statin"].value is None and stopped["diabetes"].value is None


def test_latest_values_within_the_windows() -> None:
    facts = (P().with_lab("cholesterol-total", 250, days_ago=400).with_lab("cholesterol-total", 200, days_ago=30)
             .with_lab("hdl", 50, days_ago=5 * 365 + 10)  # too old (5-year lipid window)
             .with_lab("systolic-bp", 150, days_ago=400)  # too old (1-year window)
             .build())
    items = risk_items(facts)
    assert items["total_cholesterol"].value == 200
    assert items["hdl_cholesterol"].value is None
    assert items["systolic_bp"].value is None


def test_egfr_from_creatinine_and_bmi_from_weight_and_height() -> None:
    facts = P().aged(50).with_lab("creatinine", 1.0).with_lab("weight", 80).with_lab("height", 170).build()
    items = risk_items(facts)
    assert items["egfr"].value == round(ckd_epi_2021(1.0, 50, "female"), 1) == 68.6  # 142 x 1.4286^-1.2 x ...
    assert "CKD-EPI 2021" in (items["egfr"].note or "")
    assert items["bmi"].value == pytest.approx(27.7)
    assert len(items["bmi"].evidence) == 2
    recorded = risk_items(P().with_lab("bmi", 31.2).with_lab("weight", 80).with_lab("height", 170).build())
    assert recorded["bmi"].value == 31.2


def test_disease_activity_items_use_a_90_day_window() -> None:
    facts = (P().with_joint_assessment(tender=4, swollen=2, patient_global=5, esr=30, days_ago=20)
             .with_lab("tender-joints-28", 9, days_ago=120).with_lab("das28-score", 3.9, days_ago=100).build())
    items = disease_activity_items(facts)
    assert items["tender_joints_28"].value == 4 and isinstance(items["tender_joints_28"].value, int)
    assert items["esr"].value == 30 and items["evaluator_global"].value is None
    assert items["score:das28"].value is None  # 100 days old


# --- scores ------------------------------------------------------------------------------------------------


def complete(age: int = 62, sbp: float = 140) -> P:
    return ra(age).smoking("never").with_lab("creatinine", 0.8).cv_risk_inputs(sbp=sbp)


def test_eu_score2_default_then_prevent_with_the_region_shown() -> None:
    scores = compute_scores(complete().build(), "EU", "high")
    assert [(s.calculator, s.default, s.status) for s in scores] == [("score2", True, "calculated"),
                                                                     ("prevent", False, "calculated")]
    s2 = scores[0]
    assert s2.risk_region == "high" and s2.result is not None and "high risk region" in s2.result.model
    expected = CALCULATORS["score2"].run({"age": 62, "sex": "female", "total_cholesterol": 240,
                                          "hdl_cholesterol": 45, "systolic_bp": 140, "current_smoker": False,
                                          "diabetes": False, "risk_region": "high"})
    assert s2.result.results == expected.results
    assert s2.result.ra_adjusted is not None  # RA on record: the EULAR x1.5 figure, separately


def test_us_prevent_default_then_pce_and_score2() -> None:
    scores = compute_scores(complete().race("white").build(), "US")
    assert [(s.calculator, s.default) for s in scores] == [("prevent", True), ("pce", False), ("score2", False)]
    assert all(s.status == "calculated" for s in scores)
    no_race = compute_scores(complete().build(), "US")
    assert no_race[1].status == "incomplete" and no_race[1].missing == ("race",)


def test_unknown_yes_no_inputs_give_bounds_not_a_number() -> None:
    no_creatinine = ra(62).smoking("never").cv_risk_inputs(sbp=140, absent=("statin",)).build()
    prevent = compute_scores(no_creatinine, "US")[0]
    assert prevent.status == "incomplete" and prevent.result is None and not prevent.bounds  # eGFR missing too
    facts = (ra(62).smoking("never").with_lab("creatinine", 0.8)
             .cv_risk_inputs(sbp=140, absent=("statin",)).build())
    prevent = compute_scores(facts, "US")[0]
    assert prevent.missing == ("diabetes", "on_antihypertensive")
    lo, hi = prevent.bounds["ascvd_10y"]
    base = {"age": 62, "sex": "female", "total_cholesterol": 240, "hdl_cholesterol": 45, "systolic_bp": 140,
            "bmi": 27, "egfr": prevent.inputs["egfr"], "current_smoker": False, "on_statin": False}
    runs = [CALCULATORS["prevent"].run({**base, "diabetes": d, "on_antihypertensive": a}).results["ascvd_10y"]
            for d in (False, True) for a in (False, True)]
    assert (lo, hi) == (min(runs), max(runs))
    assert lo < hi


def test_score2_under_70_with_unknown_diabetes_is_bounded_over_non_diabetic_only() -> None:
    facts = ra(62).smoking("never").cv_risk_inputs(sbp=140, absent=()).build()
    s2 = compute_scores(facts, "EU")[0]
    assert s2.status == "incomplete" and s2.bounds["cvd_10y"][0] == s2.bounds["cvd_10y"][1]
    assert any("SCORE2-Diabetes" in n for n in s2.notes)


def test_missing_numbers_give_no_figure_and_out_of_range_is_not_applicable() -> None:
    s2 = compute_scores(ra(62).smoking("never").build(), "EU")[0]
    assert s2.status == "incomplete" and "systolic_bp" in s2.missing and not s2.bounds
    young = compute_scores(ra(35).smoking("never").with_lab("creatinine", 0.8).cv_risk_inputs(sbp=140).build(),
                           "EU")
    assert young[0].status == "not-applicable" and "age" in (young[0].reason or "")
    assert young[1].status == "calculated"  # PREVENT starts at 30


def test_established_ascvd_makes_the_risk_models_not_applicable() -> None:
    scores = compute_scores(complete().with_condition("ascvd", active=False).build(), "EU")
    assert {s.status for s in scores} == {"not-applicable"}
    assert "primary prevention" not in (scores[0].reason or "") and "ASCVD" in (scores[0].reason or "")


def test_disease_activity_scores_for_ra_only_with_disease_inputs() -> None:
    assert [s.calculator for s in compute_scores(ra().with_lab("esr", 30).build(), "EU")] == ["score2", "prevent"]
    facts = ra().with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38,
                                       crp=21).build()
    da = {s.calculator: s for s in compute_scores(facts, "EU") if s.kind == "disease-activity"}
    assert list(da) == ["das28-esr", "das28-crp", "cdai", "sdai"]
    assert da["das28-esr"].result is not None and da["das28-esr"].inputs["patient_global"] == 70.0  # 7/10 -> mm
    expected = CALCULATORS["das28-esr"].run({"tender_joints_28": 8, "swollen_joints_28": 6, "esr": 38,
                                             "patient_global": 70})
    assert da["das28-esr"].result.results == expected.results
    assert da["cdai"].result is not None and da["cdai"].result.results["score"] == 27
    not_ra = P().with_condition("psoriatic-arthritis").with_joint_assessment(tender=8, swollen=6,
                                                                              patient_global=7).build()
    assert all(s.kind == "cardiovascular" for s in compute_scores(not_ra, "EU"))


def test_recorded_scores_are_classified_when_components_are_missing() -> None:
    facts = ra().with_lab("cdai-score", 24).with_lab("das28-score", 2.4).build()
    da = {s.calculator: s for s in compute_scores(facts, "EU") if s.kind == "disease-activity"}
    assert da["cdai"].status == "calculated" and da["cdai"].result is not None
    assert da["cdai"].result.category == "high"
    assert da["das28"].result is not None and da["das28"].result.category == "remission"
    assert da["das28-esr"].status == "incomplete"


# --- in the assessment -------------------------------------------------------------------------------------


def test_scores_in_the_assessment_json_use_the_web_app_keys() -> None:
    facts = complete().with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6,
                                             esr=38).build()
    out = assess(facts, default_knowledge(), region="EU", settings=Settings(score2_risk_region="low")).to_json_dict()
    keys = list(out)
    assert keys.index("scores") == keys.index("monitoring") + 1
    first = out["scores"][0]  # type: ignore[index]
    assert first["calculator"] == "score2" and first["default"] is True and first["risk_region"] == "low"
    assert "cvd_10y" in first["results"] and first["category"] and first["missing"] == []
    assert {s["id"] for s in first["sources"]} >= {"score2-2021", "esc-2021-prevention", "eular-2016-cv-risk"}
    assert first["ra_adjusted"]["factor"] == 1.5
    assert first["ra_adjusted"]["sources"][0]["id"] == "eular-2016-cv-risk"


def test_eular_factor_source_only_with_the_ra_figure() -> None:
    facts = P().aged(62).smoking("never").with_lab("creatinine", 0.8).cv_risk_inputs(sbp=140).build()
    out = assess(facts, default_knowledge(), region="EU").scores
    assert out[0].ra_adjusted is None
    assert "eular-2016-cv-risk" not in {s.id for s in out[0].sources}


def test_unknown_risk_region_is_refused() -> None:
    with pytest.raises(ConfigError, match="risk region"):
        assess(complete().build(), default_knowledge(), region="EU", settings=Settings(score2_risk_region="medium"))


def test_risk_region_setting() -> None:
    assert load_settings({}).score2_risk_region == "moderate"
    assert load_settings({"JAKCHECK_SCORE2_RISK_REGION": "Very-High"}).score2_risk_region == "very-high"
    with pytest.raises(ConfigError, match="score2_risk_region"):
        load_settings({"JAKCHECK_SCORE2_RISK_REGION": "central"})


def test_glucocorticoid_finding_names_both_figures_with_active_disease() -> None:
    facts = (ra(50).screened().with_med("prednisone", mg_per_day=15)
             .with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38).build())
    out = assess(facts, default_knowledge(), region="EU")
    gc = next(f for f in out.findings if f.code == "glucocorticoid.medium-dose")
    assert "15 mg/day" in gc.summary and "medium dose" in gc.summary and "DAS28-ESR 5.80, high activity" in gc.summary
    assert "do not withhold" in gc.summary
    assert {"george-gc-infection-2020", "rabbit-score-2014", "eular-2022-ra"} <= {s.id for s in gc.sources}
    assert "Observation" in " ".join(e for e in gc.evidence if isinstance(e, str))
    calm = (ra(50).screened().with_med("prednisone", mg_per_day=15)
            .with_joint_assessment(tender=0, swollen=0, patient_global=1, evaluator_global=1).build())
    gc2 = next(f for f in assess(calm, default_knowledge(), region="EU").findings
               if f.code == "glucocorticoid.medium-dose")
    assert "withhold" not in gc2.summary
    assert "17.7%" in gc2.detail  # the dose gradient is kept without active disease


def test_low_dose_glucocorticoid_with_active_disease_keeps_the_counterweight() -> None:
    facts = (ra(50).screened().with_med("prednisone", mg_per_day=7.5)
             .with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6, esr=38).build())
    out = assess(facts, default_knowledge(), region="EU")
    assert not {"glucocorticoid.medium-dose", "glucocorticoid.high-dose"} & {f.code for f in out.findings}
    active = next(f for f in out.findings if f.code == "disease.active")
    assert "low-dose glucocorticoid (7.5 mg/day" in active.summary and "do not withhold" in active.summary
    assert "george-gc-infection-2020" in {s.id for s in active.sources}
    calm = ra(50).screened().with_joint_assessment(tender=8, swollen=6, patient_global=7, evaluator_global=6,
                                                    esr=38).build()
    plain = next(f for f in assess(calm, default_knowledge(), region="EU").findings if f.code == "disease.active")
    assert "withhold" not in plain.summary


def test_cardiovascular_finding_shows_the_number_and_the_model() -> None:
    facts = complete().screened().cv_risk_inputs(sbp=140).build()
    out = assess(facts, default_knowledge(), region="EU")
    cv = next(f for f in out.findings if f.code == "risk.cardiovascular")
    assert "calculated 10-year CVD risk 6.0%" in cv.summary and "SCORE2 (moderate risk region)" in cv.summary
    assert "threshold 5%" in cv.summary
    assert "esc-2021-prevention" in {s.id for s in cv.sources}
