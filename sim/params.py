"""Parameter files: schema, loading, validation and ``--set`` overrides.

A parameter file is TOML with one table per concept (``[city]``, ``[enterprises]`` ...). Every
value is checked on load: type, range, shares that must sum to 1, and unknown keys (rejected with
the nearest valid key suggested). Any problem raises :class:`ParamError`, which names the file,
the key, the value and what is allowed; the command line turns it into exit status 2.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BASELINE_PATH = PACKAGE_ROOT / "params" / "baseline.toml"
SHARE_TOLERANCE = 1e-6
DEFAULT_MASTER_SEED = 20220101  # master seed of forecasts and calibrations: the plan year's first day


class ParamError(ValueError):
    """A parameter file or override is invalid. ``str()`` is the message for the user."""

    def __init__(self, source: str, key: str, value: Any, allowed: str):
        self.source, self.key, self.value, self.allowed = source, key, value, allowed
        if key == "<file>":
            super().__init__(f"{source}: {allowed}")
        else:
            shown = "<missing>" if value is _MISSING else repr(value)
            super().__init__(f"{source}: {key} = {shown}: {allowed}")


_MISSING = object()


class _Section(BaseModel):
    # strict: a TOML string is never silently turned into a number or a bool.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Share = Field(ge=0.0, le=1.0)


class Run(_Section):
    start_year: int = Field(ge=1990, le=2100)
    years: int = Field(ge=1, le=50)
    persons_per_agent: int = Field(ge=1, le=1000)


class Targets(_Section):
    T1_major_match_share: float = Share
    T2_order_classes: float = Field(ge=0)
    T3_talent_delivered: float = Field(ge=0)
    T4_social_training: float = Field(ge=0)
    T5_apprentices: float = Field(ge=0)
    T6_pilot_majors: float = Field(ge=0)
    T7_training_bases: float = Field(ge=0)
    T8_demonstration_combos: float = Field(ge=0)
    T9_local_employment_share: float = Share


class City(_Section):
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

    @model_validator(mode="after")
    def _fits(self):
        if self.core_share + self.rural_share > 1 + SHARE_TOLERANCE:
            raise ValueError("core_share + rural_share must be at most 1 (the rest lives in counties)")
        if self.n_counties == 0 and self.core_share + self.rural_share < 1 - SHARE_TOLERANCE:
            raise ValueError("with n_counties = 0, core_share + rural_share must be 1")
        if 2 * self.county_ring_cells >= min(self.width_cells, self.height_cells):
            raise ValueError("county_ring_cells must be less than half the grid's smaller side")
        return self


class Demography(_Section):
    junior_high_graduates: float = Field(gt=0)
    cohort_trend_per_year: float = Field(ge=-0.5, le=0.5)
    cohort_noise_sd: float = Field(ge=0, le=1)
    general_track_share: float = Share
    vocational_uptake: float = Share
    higher_entrants_from_general: float = Field(ge=0)


class Students(_Section):
    programme_years: int = Field(ge=1, le=6)
    attachment_alpha: float = Field(gt=0)
    attachment_beta: float = Field(gt=0)
    interest_concentration: float = Field(gt=0)
    dropout_secondary_per_year: float = Field(ge=0, lt=1)
    dropout_higher_per_year: float = Field(ge=0, lt=1)
    dropout_ability_coef: float = Field(ge=0)
    dropout_interest_coef: float = Field(ge=0)


class SchoolChoice(_Section):
    beta_distance_per_km: float = Field(le=0)
    beta_reputation: float
    beta_prospects: float
    beta_interest: float
    admission_rounds: int = Field(ge=1, le=100)
    schools_considered: int = Field(ge=1, le=1000)
    colleges_considered: int = Field(ge=1, le=1000)


class Schools(_Section):
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


class MajorAdjustment(_Section):
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


class Enterprises(_Section):
    n: int = Field(ge=1, le=1_000_000)
    size_log_mean: float
    size_log_sd: float = Field(ge=0)
    min_employees: float = Field(ge=1)
    hiring_rate_per_year: float = Field(ge=0, le=1)
    growth_hiring_coef: float = Field(ge=0)
    own_group_share: float = Share
    shock_sd_per_month: float = Field(ge=0)
    sector_shock_sd: float = Field(ge=0)
    sector_shock_persistence: float = Field(ge=0, lt=1)
    leading_firm_share: float = Share
    wage_sd: float = Field(ge=0)
    wage_size_elasticity: float


class Sector(_Section):
    class_: Literal["leading", "emerging", "other"] = Field(alias="class")
    enterprise_share: float = Share
    seat_share: float = Share
    preference: float = Share
    growth: float = Field(ge=-0.5, le=0.5)
    wage_index: float = Field(gt=0)
    chains: int = Field(ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def aligned(self) -> bool:
        """True for the "6+3" (leading and emerging) industries that T1 counts."""
        return self.class_ in ("leading", "emerging")


class LabourMarket(_Section):
    search_months: list[int] = Field(min_length=1, max_length=12)
    rounds_per_month: int = Field(ge=1, le=20)
    candidates_seen: int = Field(ge=1, le=200)
    own_group_draw_share_secondary: float = Share
    own_group_draw_share_higher: float = Share
    search_decay_km: float = Field(gt=0)
    wage_secondary_yuan_month: float = Field(gt=0)
    wage_higher_yuan_month: float = Field(gt=0)
    unmatched_wage_factor: float = Field(gt=0, le=1)
    outside_wage_premium: float = Field(ge=-0.9, le=5)
    outside_moving_cost: float
    beta_log_wage: float = Field(ge=0)
    beta_match: float
    beta_commute_per_km: float = Field(le=0)
    beta_attachment: float
    further_study_secondary: float
    further_study_higher: float
    further_study_ability: float
    wait_utility_secondary: float
    wait_utility_higher: float
    employer_ability_weight: float
    employer_match_weight: float

    @model_validator(mode="after")
    def _months(self):
        m = self.search_months
        if any(not 1 <= x <= 12 for x in m) or sorted(set(m)) != m:
            raise ValueError("search_months must be distinct months 1-12 in increasing order")
        if m[-1] >= 8:
            raise ValueError("search_months must end by July: the season closes before August admission")
        return self



YEAR_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class Launch(_Section):
    """A programme switched on from a month ("YYYY-MM"), or never when ``enabled`` is false."""

    enabled: bool
    launch: str = Field(pattern=YEAR_MONTH)

    @property
    def launch_year_month(self) -> tuple[int, int]:
        y, m = self.launch.split("-")
        return int(y), int(m)


class Budget(_Section):
    total_yuan: float = Field(ge=0)
    growth_per_year: float = Field(ge=-0.5, le=1.0)
    share_order_classes: float = Share
    share_apprenticeship: float = Share
    share_certificates: float = Share
    share_training_bases: float = Share
    share_combos: float = Share
    share_social_training: float = Share
    share_retention: float = Share
    share_platform: float = Share

    @property
    def shares(self) -> dict[str, float]:
        return {k.removeprefix("share_"): v for k, v in self.model_dump().items()
                if k.startswith("share_")}

    @model_validator(mode="after")
    def _sum(self):
        total = sum(self.shares.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"budget.share_* must sum to 1, got {total:.6g}")
        return self


class Partnerships(_Section):
    search_decay_km: float = Field(gt=0)
    existing_partner_weight: float = Field(ge=0)
    group_weight: float = Field(ge=0)
    propensity_alpha: float = Field(gt=0)
    propensity_beta: float = Field(gt=0)
    idle_dissolution_per_year: float = Share
    group_dissolution_factor: float = Share


class OrderClasses(Launch):
    month: int = Field(ge=1, le=12)
    class_size: int = Field(ge=1)
    min_class_size: int = Field(ge=1)
    min_shortage_share: float = Share
    study_year: int = Field(ge=1, le=6)
    subsidy_per_class_yuan: float = Field(ge=0)
    cost_per_class_yuan: float = Field(ge=0)
    value_per_hire_yuan: float = Field(ge=0)
    expected_hire_share: float = Share
    decision_scale_yuan: float = Field(gt=0)
    max_classes_per_firm: int = Field(ge=0)
    beta_sponsor_offer: float


class Apprenticeship(Launch):
    month: int = Field(ge=1, le=12)
    student_year: int = Field(ge=1, le=6)
    subsidy_per_student_yuan: float = Field(ge=0)
    subsidy_per_employee_yuan: float = Field(ge=0)
    net_cost_student_yuan: float
    net_cost_employee_yuan: float
    decision_scale_yuan: float = Field(gt=0)
    base_log_odds: float
    peer_weight: float = Field(ge=0)
    students_per_100_staff: float = Field(ge=0)
    employees_per_100_staff: float = Field(ge=0)
    newtype_months: int = Field(ge=1, le=36)
    dropout_per_year: float = Share
    beta_apprentice_offer: float


class Certificates(Launch):
    month: int = Field(ge=1, le=12)
    exam_month: int = Field(ge=1, le=12)
    initial_pilot_majors: int = Field(ge=0)
    grant_per_major_yuan: float = Field(ge=0)
    min_reputation: float
    pilots_per_school: int = Field(ge=0)
    pass_log_odds: float
    pass_ability_coef: float
    pass_base_coef: float
    employer_weight: float


class TrainingBases(Launch):
    month: int = Field(ge=1, le=12)
    initial_bases: int = Field(ge=0)
    cost_yuan: float = Field(gt=0)
    public_capital_yuan: float = Field(ge=0)
    enterprise_benefit_yuan: float = Field(ge=0)
    decision_scale_yuan: float = Field(gt=0)
    build_months: int = Field(ge=1, le=60)
    build_months_sd_log: float = Field(ge=0, le=2)
    min_employees: float = Field(ge=0)
    reputation_gain: float = Field(ge=0)
    apprentice_capacity_factor: float = Field(ge=1)
    training_capacity_person_times: float = Field(ge=0)


class Combos(Launch):
    month: int = Field(ge=1, le=12)
    min_years: int = Field(ge=0)
    min_order_classes: int = Field(ge=0)
    min_apprentices: int = Field(ge=0)
    require_base: bool
    award_yuan: float = Field(ge=0)
    max_per_year: int = Field(ge=0)


class SocialTraining(Launch):
    voucher_yuan: float = Field(ge=0)
    course_price_yuan: float = Field(gt=0)
    voucher_elasticity: float = Field(ge=0)
    employee_rate_per_year: float = Share
    migrant_workers: float = Field(ge=0)
    migrant_rate_per_year: float = Share
    veterans: float = Field(ge=0)
    veteran_rate_per_year: float = Share
    school_capacity_per_seat: float = Field(ge=0)
    firm_capacity_per_leading: float = Field(ge=0)


class Groups(Launch):
    n_groups: int = Field(ge=0)
    school_join_prob: float = Share
    enterprise_join_prob: float = Share
    propensity_boost: float = Share
    mixed_ownership_colleges: int = Field(ge=0)
    mixed_reputation_gain: float = Field(ge=0)
    mixed_extra_seats: float = Field(ge=0)


class Platform(Launch):
    build_cost_yuan: float = Field(ge=0)
    running_cost_yuan_per_year: float = Field(ge=0)
    signal_noise_sd: float = Field(ge=0)
    candidates_factor: float = Field(ge=1)
    search_decay_factor: float = Field(ge=1)


class Retention(_Section):
    campaign: Launch
    campaign_attachment_boost: float = Field(ge=0)
    subsidy: Launch
    talent_subsidy_yuan: float = Field(ge=0)
    beta_subsidy_per_10k_yuan: float = Field(ge=0)


class MajorGuidance(Launch):
    aligned_bonus: float = Field(ge=0)


class JointMeeting(Launch):
    execution_without: float = Field(gt=0, le=1)
    execution_with: float = Field(gt=0, le=1)


class Params(BaseModel):
    """All parameters of one city and scenario. Sections mirror the TOML tables."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

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
        """Plain nested dict in the TOML layout (``class`` spelled as in the file)."""
        return self.model_dump(by_alias=True)

    def override(self, overrides: dict[str, Any], source: str = "--set") -> "Params":
        """A copy with dotted-key overrides applied and validated like a file."""
        raw = self.to_dict()
        apply_overrides(raw, overrides, source)
        return validate(raw, source)


# ---------------------------------------------------------------------------------------------
# Loading and error reporting


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """A nested parameter dict as ``{"section.key": value}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _check_keys(raw: Any, model: type[BaseModel], prefix: str, source: str) -> None:
    """Reject unknown or missing keys, naming the nearest valid one."""
    if not isinstance(raw, dict):
        raise ParamError(source, prefix.rstrip(".") or "<file>", raw, "expected a table")
    known = _known_keys(model)
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
                raise ParamError(source, f"{prefix}{key}", _MISSING, "required key is missing")
            continue
        sub = _section_type(field.annotation)
        if sub is not None:
            _check_keys(raw[key], sub, f"{prefix}{key}.", source)
        elif key == "sectors" and isinstance(raw[key], dict):
            for sector, table in raw[key].items():
                _check_keys(table, Sector, f"{prefix}sectors.{sector}.", source)


def _section_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _error_from_validation(exc: ValidationError, raw: dict, source: str) -> ParamError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) if loc else "<file>"
    value: Any = raw
    for part in loc:
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:
        # Model-level checks (shares, cross-field rules) name their keys in the message.
        return ParamError(source, msg.split(" ")[0], _MISSING, msg)
    if value is not _MISSING and isinstance(value, dict):
        return ParamError(source, key, "<table>", msg)
    return ParamError(source, key, value, msg)


def validate(raw: dict, source: str) -> Params:
    """Validate a raw nested dict (as parsed from TOML) into :class:`Params`."""
    _check_keys(raw, Params, "", source)
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise _error_from_validation(exc, raw, source) from None


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML would read it; a bare word is a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """``["a.b=1", ...]`` -> ``{"a.b": 1}``; a malformed item raises :class:`ParamError`."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ParamError("--set", item, _MISSING, "expected KEY=VALUE with a dotted KEY")
        out[key.strip()] = parse_value(text.strip())
    return out


def apply_overrides(raw: dict, overrides: dict[str, Any], source: str = "--set") -> None:
    """Write dotted-key overrides into ``raw`` in place, refusing keys the schema lacks."""
    for dotted, value in overrides.items():
        dotted = dotted.replace("__", ".")
        parts = dotted.split(".")
        node = raw
        for i, part in enumerate(parts[:-1]):
            if part not in node or not isinstance(node[part], dict):
                known = list(node) if isinstance(node, dict) else []
                near = difflib.get_close_matches(part, known, n=1)
                hint = f"; did you mean '{'.'.join(parts[:i] + [near[0]])}'?" if near else ""
                raise ParamError(source, dotted, value, f"unknown key{hint}")
            node = node[part]
        leaf = parts[-1]
        if leaf not in node:
            near = difflib.get_close_matches(leaf, list(node), n=1)
            hint = f"; did you mean '{'.'.join(parts[:-1] + [near[0]])}'?" if near else ""
            raise ParamError(source, dotted, value, f"unknown key{hint}")
        node[leaf] = value


def read_toml(path: str | Path) -> dict:
    """Parse a TOML file, turning I/O and syntax problems into :class:`ParamError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamError(str(path), "<file>", _MISSING, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError(str(path), "<file>", _MISSING, f"cannot read file: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParamError(str(path), "<file>", _MISSING, f"malformed TOML: {exc}") from None


def load_params(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Params:
    """Load and validate a parameter file, then apply and validate dotted-key overrides.

    A scenario file may start with ``base = "baseline.toml"`` (relative to itself): it is
    then the base file with the scenario's tables merged over it.
    """
    path = Path(path) if path is not None else BASELINE_PATH
    raw = _resolve_base(path, seen=())
    source = str(path)
    if overrides:
        raw = copy.deepcopy(raw)
        _check_keys(raw, Params, "", source)
        apply_overrides(raw, overrides, "--set")
        source = f"{path} with --set"
    return validate(raw, source)


def _resolve_base(path: Path, seen: tuple[Path, ...]) -> dict:
    raw = read_toml(path)
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ParamError(str(path), "base", base, "expected the path of a parameter file")
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise ParamError(str(path), "base", base, "circular chain of base files")
    merged = _resolve_base(base_path, seen + (path.resolve(),))
    _deep_merge(merged, raw)
    return merged


def _deep_merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
