"""The parameter file's schema: one strict pydantic section per TOML table, and :class:`Params`."""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from sim.params.base import MISSING, SHARE_TOLERANCE, ParamError, Share, StrictModel
from sim.params.keys import apply_overrides, check_ranges_hold_points, fix_ranged
from sim.params.sizes import check_run_size
from sim.params.levers import (Apprenticeship, Budget, Certificates, Combos, Groups, JointMeeting,
                               MajorGuidance, OrderClasses, Partnerships, Platform, Retention,
                               SocialTraining, TrainingBases)


class Run(StrictModel):
    start_year: int = Field(ge=1990, le=2100)
    years: int = Field(ge=1, le=50)
    persons_per_agent: int = Field(ge=1, le=1000)
    # Mesa Student objects: True, False, or "auto" (True in SkillsModel() and the dashboard,
    # False in the batch commands); the tables are the same either way.
    student_agents: Literal[True, False, "auto"] = "auto"
    # Years of the status quo simulated before start_year and not reported (0 = cold start).
    spinup_years: int = Field(default=4, ge=0, le=20)
    # The file whose programme settings and budget run during the spin-up (relative paths are
    # read from the shipped params/ folder; "" = the scenario's own settings).
    spinup_settings: str = "scenarios/status_quo.toml"


class Targets(StrictModel):
    T1_major_match_share: float = Share
    T2_order_classes: float = Field(ge=0)
    T3_talent_delivered: float = Field(ge=0)
    T4_social_training: float = Field(ge=0)
    T5_apprentices: float = Field(ge=0)
    T6_pilot_majors: float = Field(ge=0)
    T7_training_bases: float = Field(ge=0)
    T8_demonstration_combos: float = Field(ge=0)
    T9_local_employment_share: float = Share


class City(StrictModel):
    width_cells: int = Field(ge=10, le=500)
    height_cells: int = Field(ge=10, le=500)
    cell_km: float = Field(gt=0)
    core_share: float = Share
    core_sigma_cells: float = Field(gt=0)
    n_counties: int = Field(ge=0, le=30)
    county_ring_cells: float = Field(gt=0)
    county_sigma_cells: float = Field(gt=0)
    county_jitter: float = Field(ge=0, lt=0.5)
    county_size_concentration: float = Field(gt=0)
    rural_share: float = Share
    n_parks_core: int = Field(ge=1, le=50)
    n_parks_county: int = Field(ge=0, le=50)
    park_offset_cells: float = Field(ge=0)
    park_sigma_cells: float = Field(gt=0)
    enterprise_park_share: float = Share
    # A city folder (districts.csv, schools.csv, enterprises.csv ...) to load instead of drawing
    # the city; resolved against the parameter file that names it (docs/CITY_DATA.md).
    data: str | None = None

    @model_validator(mode="after")
    def _fits(self):
        if self.core_share + self.rural_share > 1 + SHARE_TOLERANCE:
            raise ValueError("core_share + rural_share must be at most 1 (the rest lives in counties)")
        if self.n_counties == 0 and self.core_share + self.rural_share < 1 - SHARE_TOLERANCE:
            raise ValueError("with n_counties = 0, core_share + rural_share must be 1")
        if 2 * self.county_ring_cells >= min(self.width_cells, self.height_cells):
            raise ValueError("county_ring_cells must be less than half the grid's smaller side")
        return self


class Demography(StrictModel):
    junior_high_graduates: float = Field(gt=0)
    cohort_trend_per_year: float = Field(ge=-0.5, le=0.5)
    cohort_noise_sd: float = Field(ge=0, le=1)
    general_track_share: float = Share
    general_preference_log_odds: float
    general_preference_ability_coef: float = Field(ge=0)
    general_preference_prospects_coef: float = Field(ge=0)
    vocational_uptake: float = Share
    higher_entrants_from_general: float = Field(ge=0)


class Students(StrictModel):
    programme_years: int = Field(ge=1, le=6)
    attachment_mean_core: float = Field(gt=0, lt=1)
    attachment_mean_county: float = Field(gt=0, lt=1)
    attachment_concentration: float = Field(gt=0)
    interest_concentration: float = Field(gt=0)
    dropout_secondary_per_year: float = Field(ge=0, lt=1)
    dropout_higher_per_year: float = Field(ge=0, lt=1)
    dropout_ability_coef: float = Field(ge=0)
    dropout_interest_coef: float = Field(ge=0)


class SchoolChoice(StrictModel):
    beta_distance_per_km: float = Field(le=0)
    beta_reputation: float
    beta_prospects: float
    beta_interest: float
    admission_rounds: int = Field(ge=1, le=100)
    schools_considered: int = Field(ge=1, le=1000)
    colleges_considered: int = Field(ge=1, le=1000)


class Schools(StrictModel):
    n_secondary: int = Field(ge=1, le=500)
    n_technician: int = Field(ge=0, le=500)
    n_higher: int = Field(ge=0, le=100)
    intake_secondary: float = Field(gt=0)
    intake_technician: float = Field(gt=0)
    intake_higher: float = Field(gt=0)
    intake_sd_share: float = Field(ge=0, le=1)
    initial_seat_sd: float = Field(ge=0)
    majors_secondary: int = Field(ge=1)
    majors_technician: int = Field(ge=1)
    majors_higher: int = Field(ge=1)
    four_star_share: float = Share
    four_star_reputation: float = Field(ge=0)
    initial_fill: float = Share
    adjustment_budget_yuan: float = Field(ge=0)


class MajorAdjustment(StrictModel):
    month: int = Field(ge=1, le=7)  # seats are planned before August admission
    speed: float = Share
    elasticity: float = Field(ge=0)
    signal_lag_years: int = Field(ge=0, le=10)
    signal_noise_sd: float = Field(ge=0)
    signal_sees_pipeline: bool
    weight_vacancies: float = Field(ge=0)
    weight_outcomes: float = Field(ge=0)
    weight_applications: float = Field(ge=0)
    max_new_majors: int = Field(ge=0)
    max_net_new_majors: int = Field(ge=0)
    min_entrants: float = Field(ge=0)
    min_entrants_years: int = Field(ge=1)
    no_close_years: int = Field(ge=0)
    open_threshold: float
    close_threshold: float
    close_below_seats: float = Field(ge=0)
    new_major_seats: float = Field(gt=0)
    opening_cost_yuan: float = Field(ge=0)


class Enterprises(StrictModel):
    n: int = Field(ge=1, le=1_000_000)
    size_log_mean: float
    size_log_sd: float = Field(ge=0)
    min_employees: float = Field(ge=1)
    hiring_rate_per_year: float = Field(ge=0, le=1)
    growth_hiring_coef: float = Field(ge=0)
    own_group_share: float = Share
    related_group_weight: float = Field(ge=1)
    shock_sd_per_month: float = Field(ge=0)
    sector_shock_sd: float = Field(ge=0)
    sector_shock_persistence: float = Field(ge=0, lt=1)
    leading_firm_share: float = Share
    wage_sd: float = Field(ge=0)
    wage_size_elasticity: float
    pay_raise_per_unfilled_share: float = Field(ge=0)
    pay_reversion_per_year: float = Share
    max_pay_premium: float = Field(ge=0, le=2)
    reach_gain_per_unfilled_share: float = Field(ge=0)
    max_reach_factor: float = Field(ge=1)
    posting_cut_per_unfilled_share: float = Share
    unfilled_prior_posts: float = Field(ge=0)


class Sector(StrictModel):
    class_: Literal["leading", "emerging", "other"] = Field(alias="class")
    family: str | None = None  # broad category of the major catalogue; None: related to no other
    enterprise_share: float = Share
    seat_share: float = Share
    preference: float = Share
    growth: float = Field(ge=-0.5, le=0.5)
    wage_index: float = Field(gt=0)
    chains: int = Field(ge=0)

    @property
    def aligned(self) -> bool:
        """True for the "6+3" (leading and emerging) industries that T1 counts."""
        return self.class_ in ("leading", "emerging")


class LabourMarket(StrictModel):
    search_months: list[int] = Field(min_length=1, max_length=12)
    rounds_per_month: int = Field(ge=1, le=20)
    candidates_seen: int = Field(ge=1, le=200)
    own_group_draw_share_secondary: float = Share
    own_group_draw_share_higher: float = Share
    search_decay_km: float = Field(gt=0)
    recommendation_decay_km: float = Field(gt=0)
    wage_secondary_yuan_month: float = Field(gt=0)
    wage_higher_yuan_month: float = Field(gt=0)
    unmatched_wage_factor: float = Field(gt=0, le=1)
    outside_wage_premium: float = Field(ge=-0.9, le=5)
    outside_moving_cost: float
    outside_offers: int = Field(ge=1, le=50)
    outside_wage_sd: float = Field(ge=0, le=2)
    beta_log_wage: float = Field(ge=0)
    beta_match: float
    beta_commute_per_km: float = Field(le=0)
    beta_attachment: float
    attachment_other_district_share: float = Share
    within_city_rent_share: float = Field(ge=0, lt=1)
    beta_family_home: float = Field(ge=0)
    park_fair_reach_factor: float = Field(ge=1)
    further_study_secondary: float
    further_study_higher: float
    further_study_ability: float
    wait_utility_secondary: float
    wait_utility_higher: float
    employer_ability_weight: float
    employer_match_weight: float
    employer_trainee_priority: float = Field(ge=0)

    @model_validator(mode="after")
    def _months(self):
        m = self.search_months
        if any(not 1 <= x <= 12 for x in m) or sorted(set(m)) != m:
            raise ValueError("search_months must be distinct months 1-12 in increasing order")
        if m[-1] >= 8:
            raise ValueError("search_months must end by July: the season closes before August admission")
        return self


class Params(StrictModel):
    """All parameters of one city and scenario. Sections mirror the TOML tables."""

    run: Run
    targets: Targets
    city: City
    demography: Demography
    students: Students
    school_choice: SchoolChoice
    schools: Schools
    major_adjustment: MajorAdjustment
    enterprises: Enterprises
    sectors: dict[str, Sector] = Field(min_length=2)
    labour_market: LabourMarket
    budget: Budget
    partnerships: Partnerships
    order_classes: OrderClasses
    apprenticeship: Apprenticeship
    certificates: Certificates
    training_bases: TrainingBases
    combos: Combos
    social_training: SocialTraining
    groups: Groups
    platform: Platform
    retention: Retention
    joint_meeting: JointMeeting
    major_guidance: MajorGuidance
    # Ranges of assumptions, "dotted.key" = { low, high, dist, mode, why }, as written: the
    # point values above stay what a single run uses; sim.experiments.ranges.parse_uncertain
    # checks the table and the forecast draws from it.
    uncertain: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sector_shares(self):
        for field in ("enterprise_share", "seat_share", "preference"):
            total = sum(getattr(s, field) for s in self.sectors.values())
            if abs(total - 1.0) > 1e-3:
                raise ValueError(
                    f"sectors.*.{field} must sum to 1 over all sectors, got {total:.6g}"
                )
        if not any(s.aligned for s in self.sectors.values()):
            raise ValueError("at least one sector must have class 'leading' or 'emerging'")
        return self

    # -- conveniences -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain nested dict in the TOML layout (``class`` spelled as in the file); an unset
        optional key (``city.data`` of a drawn city) is left out, as TOML has no null, and so is
        ``uncertain`` when there are no ranges, so files without them record what they did."""
        return self.model_dump(by_alias=True, exclude_none=True,
                               exclude=None if self.uncertain else {"uncertain"})

    def override(self, overrides: dict[str, Any], source: str = "--set") -> "Params":
        """A copy with dotted-key overrides applied and validated like a file; an overridden
        key's ``[uncertain]`` range no longer applies (the override fixes it)."""
        raw = self.model_dump(by_alias=True)  # with optional keys, so --set can give them
        apply_overrides(raw, overrides, source)
        fix_ranged(raw, {k.replace("__", ".") for k in overrides})
        return validate(raw, source)


# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Validation and error reporting


def known_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def check_keys(raw: Any, model: type[BaseModel], prefix: str, source: str) -> None:
    """Reject unknown or missing keys, naming the nearest valid one."""
    if not isinstance(raw, dict):
        raise ParamError(source, prefix.rstrip(".") or "<file>", raw, "expected a table")
    known = known_keys(model)
    for key, value in raw.items():
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean '{prefix}{near[0]}'?" if near else ""
            raise ParamError(
                source, f"{prefix}{key}", value,
                f"unknown key{hint} (valid keys here: {', '.join(known)})",
            )
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in raw:
            if field.is_required():
                raise ParamError(source, f"{prefix}{key}", MISSING, "required key is missing")
            continue
        sub = section_type(field.annotation)
        if sub is not None:
            check_keys(raw[key], sub, f"{prefix}{key}.", source)
        elif key == "sectors" and isinstance(raw[key], dict):
            for sector, table in raw[key].items():
                check_keys(table, Sector, f"{prefix}sectors.{sector}.", source)


def section_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def error_from_validation(exc: ValidationError, raw: dict, source: str) -> ParamError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) if loc else "<file>"
    value: Any = raw
    for part in loc:
        value = value.get(part, MISSING) if isinstance(value, dict) else MISSING
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:
        # Model-level checks (shares, cross-field rules) name their keys in the message.
        return ParamError(source, msg.split(" ")[0], MISSING, msg)
    if value is not MISSING and isinstance(value, dict):
        return ParamError(source, key, "<table>", msg)
    return ParamError(source, key, value, msg)


def validate(raw: dict, source: str) -> Params:
    """Validate a raw nested dict (as parsed from TOML) into :class:`Params`."""
    check_keys(raw, Params, "", source)
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        raise error_from_validation(exc, raw, source) from None
    check_ranges_hold_points(raw, source)
    check_run_size(params, source)  # what the run would need, so check refuses what run cannot
    return params
