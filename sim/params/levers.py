"""The plan's levers in the parameter file: the budget, partnerships and each programme's section
(a :class:`Launch` switch and month, and its own settings)."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.params.base import YEAR_MONTH, Share, StrictModel

# Sections that hold the plan's levers: the budget and one per programme. During the spin-up
# they come from the status-quo settings (run.spinup_settings); every other section is the
# scenario's own, so the city behaves the same way before and after the plan year.
LEVER_SECTIONS = ("budget", "order_classes", "apprenticeship", "certificates", "training_bases",
                  "combos", "social_training", "groups", "platform", "retention",
                  "major_guidance", "joint_meeting")


class Launch(StrictModel):
    """A programme switched on from a month ("YYYY-MM"), or never when ``enabled`` is false."""

    enabled: bool
    launch: str = Field(pattern=YEAR_MONTH)

    @property
    def launch_year_month(self) -> tuple[int, int]:
        y, m = self.launch.split("-")
        return int(y), int(m)


class Budget(StrictModel):
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


class Partnerships(StrictModel):
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
    hire_share_prior_persons: float = Field(ge=0)
    decision_scale_yuan: float = Field(gt=0)
    max_classes_per_firm: int = Field(ge=0)
    beta_sponsor_offer: float


class Apprenticeship(Launch):
    month: int = Field(ge=1, le=12)
    student_year: int = Field(ge=1, le=6)
    subsidy_per_student_yuan: float = Field(ge=0)
    subsidy_per_employee_yuan: float = Field(ge=0)
    student_share_of_line: float = Share
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
    applications_per_school: int = Field(ge=0, le=20)
    value_per_ranking_sd_yuan: float = Field(ge=0)
    exam_fee_yuan: float = Field(ge=0)
    setup_cost_yuan: float = Field(ge=0)
    base_equipment_share: float = Share
    teacher_training_yuan: float = Field(ge=0)
    teachers_per_pilot: float = Field(ge=0)
    students_per_teacher: float = Field(gt=0)
    dual_qualified_share: float = Share
    horizon_years: float = Field(gt=0, le=30)
    decision_scale_yuan: float = Field(gt=0)
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
    co_investment_payroll_share: float = Share
    co_investment_years: float = Field(gt=0, le=30)
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


class Retention(StrictModel):
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
