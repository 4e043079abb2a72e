"""The sprint planner: capacity, priorities, pins, skills and fit, optimality, explanations, fallback."""

from __future__ import annotations

import itertools
import random

import pytest

from services.chassis.errors import InvalidArgument
from services.planning import sprint_planner
from services.planning.sprint_planner import Member, SprintPlan, Task, plan_sprint
from tests.perf.sprint_planner import make_instance

WEIGHT = {"critical": 8, "high": 4, "medium": 2, "low": 1}


def task(tid: str, priority: str = "medium", hours: float = 4, skills: tuple[str, ...] = (), **extra) -> Task:
    return Task(id=tid, title=f"Task {tid}", priority=priority, estimated_hours=hours, required_skills=skills, **extra)


def member(mid: str, capacity: float = 10, skills: dict[str, int] | list[str] | None = None, load: float = 0) -> Member:
    return Member(id=mid, name=f"Member {mid}", skills=skills or {}, capacity_hours=capacity, current_load_hours=load)


def assignees(plan: SprintPlan) -> dict[str, str]:
    return {p.task_id: p.assignee_id for p in plan.planned}


def expected_value(t: Task, rank: float = 0.0) -> float:
    """The documented value function, written out independently of the module."""
    return t.estimated_hours * WEIGHT[t.priority] * (1 + 0.25 * rank)


def skill_match(t: Task, m: Member) -> float:
    """The documented fit of a task to a member."""
    levels = m.skills if isinstance(m.skills, dict) else dict.fromkeys(m.skills, 3)
    required = t.required_skills
    return sum(levels.get(s, 0) / 5 for s in required) / len(required) if required else 0.6


def assert_feasible(plan: SprintPlan, tasks: list[Task], members: list[Member]) -> None:
    """Every task is accounted for once and nobody gets more than their remaining capacity."""
    by_id = {t.id: t for t in tasks}
    assert sorted([p.task_id for p in plan.planned] + [o.task_id for o in plan.left_out]) == sorted(by_id)
    for m in members:
        planned = sum(by_id[p.task_id].estimated_hours for p in plan.planned if p.assignee_id == m.id)
        assert planned <= max(0.0, m.capacity_hours - m.current_load_hours) + 1e-9
    for p in plan.planned:
        pin = by_id[p.task_id].assignee_id
        assert pin is None or pin == p.assignee_id


def random_instance(seed: int, n_tasks: int, n_members: int) -> tuple[list[Task], list[Member]]:
    rng = random.Random(seed)
    skills = ["frontend", "backend", "data", "design"]
    members = [
        member(
            f"m{n}",
            capacity=rng.choice([6, 8.5, 10, 13]),
            skills={s: rng.randint(1, 5) for s in rng.sample(skills, rng.randint(1, 2))},
            load=rng.choice([0, 0, 1.5, 3]),
        )
        for n in range(n_members)
    ]
    tasks = [
        task(
            f"t{n}",
            rng.choice(list(WEIGHT)),
            rng.choice([0.5, 1, 2, 3, 4, 6]),
            tuple(rng.sample(skills, rng.randint(0, 2))),
            priority_score=rng.choice([None, 10.0, 20.0, 35.5]),
            assignee_id=rng.choice(members).id if rng.random() < 0.1 else None,
        )
        for n in range(n_tasks)
    ]
    return tasks, members


def test_capacity_is_never_exceeded_and_pins_hold() -> None:
    for seed in range(8):
        tasks, members = random_instance(seed, 30, 4)
        for solver in ("highs", "greedy"):
            assert_feasible(plan_sprint(tasks, members, solver=solver), tasks, members)


def test_fractional_hours_fit_exactly_and_never_overflow() -> None:
    members = [member("a", capacity=7.25, load=0.25)]
    tasks = [task("x", hours=3.5), task("y", hours=3.5), task("z", hours=0.25)]
    plan = plan_sprint(tasks, members)
    assert set(assignees(plan)) == {"x", "y"}
    assert plan.members[0].remaining_hours == pytest.approx(0.0)
    assert plan.members[0].utilisation == pytest.approx(1.0)


def test_odd_estimates_are_counted_in_minutes() -> None:
    rng = random.Random(5)
    members = [member(f"m{n}", capacity=rng.uniform(20, 40), load=rng.uniform(0, 5)) for n in range(4)]
    tasks = [task(f"t{n}", rng.choice(list(WEIGHT)), round(rng.uniform(0.3, 9), 2)) for n in range(40)]
    plan = plan_sprint(tasks, members, time_limit_seconds=2)
    assert_feasible(plan, tasks, members)
    assert plan.total_value >= plan_sprint(tasks, members, solver="greedy").total_value - 1e-9


def test_higher_priority_is_preferred() -> None:
    members = [member("a", capacity=4)]
    tasks = [task("low", "low"), task("crit", "critical"), task("high", "high"), task("med", "medium")]
    plan = plan_sprint(tasks, members)
    assert assignees(plan) == {"crit": "a"}
    reasons = {o.task_id: o.reason for o in plan.left_out}
    assert reasons == {"low": "lower-priority", "high": "lower-priority", "med": "lower-priority"}


def test_a_long_critical_task_is_not_traded_for_many_small_low_ones() -> None:
    members = [member("a", capacity=16)]
    tasks = [task("crit", "critical", 16)] + [task(f"low{n}", "low", 1) for n in range(16)]
    plan = plan_sprint(tasks, members)
    assert assignees(plan) == {"crit": "a"}
    assert {o.reason for o in plan.left_out} == {"lower-priority"}


def test_within_a_priority_slicing_does_not_matter() -> None:
    one_big = plan_sprint([task("big", "high", 8)], [member("a", capacity=8)])
    many_small = plan_sprint([task(f"s{n}", "high", 1) for n in range(8)], [member("a", capacity=8)])
    assert one_big.total_value == pytest.approx(many_small.total_value) == pytest.approx(32)


def test_score_breaks_ties_within_a_priority() -> None:
    members = [member("a", capacity=4)]
    tasks = [task("plain", "high"), task("scored", "high", priority_score=12.0), task("top", "high", priority_score=80)]
    assert assignees(plan_sprint(tasks, members)) == {"top": "a"}


def test_pinned_task_stays_with_its_assignee_or_is_left_out() -> None:
    members = [member("fe", capacity=8, skills={"frontend": 5}), member("be", capacity=4, skills={"backend": 4})]
    tasks = [task("ui", "high", 4, ("frontend",), assignee_id="be"), task("big", "critical", 6, assignee_id="be")]
    plan = plan_sprint(tasks, members)
    assert assignees(plan) == {"ui": "be"}
    planned = plan.planned[0]
    assert planned.who_and_why.startswith("pinned to Member be")
    (out,) = plan.left_out
    assert out.task_id == "big" and out.reason == "no-capacity" and "pinned to Member be" in out.why_out


def test_task_goes_to_the_skilled_member_when_capacity_allows() -> None:
    members = [
        member("generalist", capacity=10, skills={"backend": 2}),
        member("fe", capacity=10, skills={"frontend": 5}),
        member("fe-junior", capacity=10, skills={"frontend": 2}),
    ]
    tasks = [task("ui", "high", 4, ("frontend",)), task("api", "medium", 4, ("backend",))]
    plan = plan_sprint(tasks, members)
    assert assignees(plan) == {"ui": "fe", "api": "generalist"}
    ui = next(p for p in plan.planned if p.task_id == "ui")
    assert "best skill match" in ui.who_and_why and "frontend 5/5" in ui.who_and_why
    assert ui.value == pytest.approx(expected_value(tasks[0]))


def test_when_the_expert_is_full_the_next_best_takes_it() -> None:
    members = [member("fe", capacity=4, skills={"frontend": 5}), member("junior", capacity=8, skills={"frontend": 2})]
    tasks = [task("a", "critical", 4, ("frontend",)), task("b", "high", 4, ("frontend",))]
    plan = plan_sprint(tasks, members)
    assert assignees(plan) == {"a": "fe", "b": "junior"}
    b = next(p for p in plan.planned if p.task_id == "b")
    assert "better-matched Member fe has no room left" in b.who_and_why


def test_skills_decide_who_not_what() -> None:
    # Nobody on the team has "ml"; the high-priority ml task still outranks the medium one that fits.
    members = [member("fe", capacity=4, skills={"frontend": 5})]
    tasks = [task("ui", "medium", 4, ("frontend",)), task("ml", "high", 4, ("ml",))]
    plan = plan_sprint(tasks, members)
    assert assignees(plan) == {"ml": "fe"}
    assert "nobody has ml" in plan.planned[0].who_and_why


def test_the_fit_pass_exchanges_work_between_full_members() -> None:
    members = [member("fe", capacity=6, skills={"frontend": 5}), member("be", capacity=6, skills={"backend": 5})]
    tasks = [task("ui", "high", 6, ("frontend",)), task("api", "high", 6, ("backend",))]
    problem = sprint_planner._prepare(tasks, members, False)
    crossed = sprint_planner._assign_by_fit(problem, [1, 0], deadline=float("inf"))  # both full, both wrong
    assert crossed == [0, 1]


def test_fit_never_changes_what_enters() -> None:
    for seed in range(6):
        tasks, members = random_instance(300 + seed, 25, 4)
        problem = sprint_planner._prepare(tasks, members, False)
        placed = sprint_planner._polish(problem, sprint_planner._greedy(problem))
        fitted = sprint_planner._assign_by_fit(problem, placed, deadline=float("inf"))
        assert [m is None for m in fitted] == [m is None for m in placed]
        total = sum(
            skill_match(tasks[t], members[m]) * expected_value(tasks[t]) for t, m in enumerate(fitted) if m is not None
        )
        before = sum(
            skill_match(tasks[t], members[m]) * expected_value(tasks[t]) for t, m in enumerate(placed) if m is not None
        )
        assert total >= before - 1e-9
        free = sprint_planner._free_after(problem, fitted)
        assert min(free, default=0) >= 0


def test_strict_skills_excludes_unskilled_members() -> None:
    members = [member("fe", capacity=10, skills=["frontend"]), member("be", capacity=10, skills=["backend"])]
    tasks = [task("ml", "critical", 4, ("ml",)), task("full", "high", 4, ("frontend", "backend"))]
    loose = plan_sprint(tasks, members)
    assert set(assignees(loose)) == {"ml", "full"}
    strict = plan_sprint(tasks, members, strict_skills=True)
    assert assignees(strict) == {}
    assert {o.task_id: o.reason for o in strict.left_out} == {"ml": "no-skilled-member", "full": "no-skilled-member"}
    assert "no member has all of ml" in strict.left_out[0].why_out


def brute_force(tasks: list[Task], members: list[Member]) -> float:
    """The best value over every assignment (each task to nobody or to one member)."""
    ranks = sprint_planner._score_ranks(tasks)
    best = 0.0
    for choice in itertools.product([None, *range(len(members))], repeat=len(tasks)):
        used = [0.0] * len(members)
        for t, m in zip(tasks, choice, strict=True):
            if m is not None:
                used[m] += t.estimated_hours
        if any(used[n] > members[n].capacity_hours - members[n].current_load_hours + 1e-9 for n in range(len(members))):
            continue
        if any(
            m is not None and t.assignee_id not in (None, members[m].id) for t, m in zip(tasks, choice, strict=True)
        ):
            continue
        value = sum(
            expected_value(t, ranks[n]) for n, (t, m) in enumerate(zip(tasks, choice, strict=True)) if m is not None
        )
        best = max(best, value)
    return best


def test_solver_matches_brute_force_on_tiny_instances() -> None:
    for seed in range(12):
        tasks, members = random_instance(100 + seed, 6, 2)
        plan = plan_sprint(tasks, members, gap_limit=0.0)
        optimum = brute_force(tasks, members)
        assert plan.total_value == pytest.approx(optimum, abs=1e-6), seed
        assert plan.status == "optimal" and plan.solver == "highs"
        assert plan.bound is not None and plan.bound >= optimum - 1e-6
        assert plan.gap == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("strict_skills", [False, True])
def test_benchmark_sized_backlogs_are_proven_optimal(strict_skills: bool) -> None:
    # The pooled bound proves the non-strict plans at once; strict ones need the LP and the search.
    tasks, members = make_instance(9, 200, 20, 2.0)
    plan = plan_sprint(tasks, members, gap_limit=0.0, time_limit_seconds=30, strict_skills=strict_skills)
    assert plan.status == "optimal" and not plan.time_limited
    assert_feasible(plan, tasks, members)


def test_solver_is_at_least_as_good_as_greedy() -> None:
    for seed in range(10):
        tasks, members = random_instance(200 + seed, 40, 5)
        greedy = plan_sprint(tasks, members, solver="greedy")
        solved = plan_sprint(tasks, members, gap_limit=0.0, time_limit_seconds=1.0)
        assert solved.total_value >= greedy.total_value - 1e-9
        assert solved.bound is not None and solved.bound >= solved.total_value - 1e-6
        assert greedy.status == "greedy_fallback" and greedy.gap is None


def test_every_task_is_explained() -> None:
    tasks, members = make_instance(3, 80, 6, 2.0)
    plan = plan_sprint(tasks, members)
    assert_feasible(plan, tasks, members)
    assert plan.planned and plan.left_out
    for p in plan.planned:
        assert "value" in p.why_in and p.who_and_why
        assert p.value > 0
    for o in plan.left_out:
        assert o.reason in {"no-skilled-member", "no-capacity", "lower-priority", "lower-value", "tie"}
        assert o.why_out
    assert plan.total_value == pytest.approx(sum(p.value for p in plan.planned))
    assert plan.planned_hours == pytest.approx(sum(p.hours for p in plan.planned))
    for load, m in zip(plan.members, members, strict=True):
        assert load.utilisation == pytest.approx((m.current_load_hours + load.planned_hours) / m.capacity_hours)


def test_identical_tasks_go_in_backlog_order() -> None:
    members = [member("a", capacity=8)]
    tasks = [task("first", hours=4), task("second", hours=4), task("third", hours=4)]
    plan = plan_sprint(tasks, members)
    assert set(assignees(plan)) == {"first", "second"}
    assert plan.left_out[0].reason == "tie" and "second" in plan.left_out[0].why_out


def test_zero_time_limit_falls_back_to_greedy() -> None:
    tasks, members = random_instance(7, 30, 4)
    plan = plan_sprint(tasks, members, time_limit_seconds=0)
    assert (plan.solver, plan.status) == ("greedy", "greedy_fallback")
    assert plan.bound is None and plan.gap is None and plan.note
    assert plan.total_value == pytest.approx(plan_sprint(tasks, members, solver="greedy").total_value)
    assert_feasible(plan, tasks, members)


def test_solver_failure_falls_back_to_greedy(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(sprint_planner, "_solve_with_highs", broken)
    tasks, members = random_instance(8, 30, 4)
    plan = plan_sprint(tasks, members)
    assert (plan.solver, plan.status) == ("greedy", "greedy_fallback")
    assert "solver exploded" in plan.note
    assert_feasible(plan, tasks, members)


def test_same_input_gives_the_same_plan() -> None:
    tasks, members = make_instance(11, 150, 12, 2.0)
    first = plan_sprint(tasks, members, time_limit_seconds=30)
    second = plan_sprint(tasks, members, time_limit_seconds=30)
    assert not first.time_limited
    assert [(p.task_id, p.assignee_id) for p in first.planned] == [(p.task_id, p.assignee_id) for p in second.planned]
    assert [(o.task_id, o.reason, o.why_out) for o in first.left_out] == [
        (o.task_id, o.reason, o.why_out) for o in second.left_out
    ]
    assert (first.total_value, first.bound, first.status) == (second.total_value, second.bound, second.status)


def test_overloaded_members_and_empty_inputs() -> None:
    plan = plan_sprint([task("x")], [member("busy", capacity=10, load=12)])
    assert assignees(plan) == {} and plan.left_out[0].reason == "no-capacity"
    assert plan.members[0].remaining_hours == 0 and plan.members[0].utilisation == pytest.approx(1.2)
    empty = plan_sprint([], [member("a")])
    assert empty.planned == () and empty.total_value == 0
    nobody = plan_sprint([task("x")], [])
    assert nobody.left_out[0].reason == "no-capacity"
    no_capacity = plan_sprint([task("x")], [member("zero", capacity=0)])
    assert no_capacity.members[0].utilisation is None


@pytest.mark.parametrize(
    ("tasks", "members", "slug"),
    [
        ([task("x"), task("x")], [member("a")], "duplicate-task-id"),
        ([task("x")], [member("a"), member("a")], "duplicate-member-id"),
        ([task("x", hours=0)], [member("a")], "invalid-hours"),
        ([task("x", hours=-2)], [member("a")], "invalid-hours"),
        ([task("x")], [member("a", capacity=-1)], "invalid-hours"),
        ([task("x")], [member("a", load=-1)], "invalid-hours"),
        ([task("x", assignee_id="ghost")], [member("a")], "unknown-assignee"),
        ([task("x", priority="urgent")], [member("a")], "invalid-priority"),
        ([task("x")], [member("a", skills={"frontend": 6})], "invalid-skill-level"),
        ([task("x", priority_score=float("nan"))], [member("a")], "invalid-priority-score"),
    ],
)
def test_invalid_input_is_refused(tasks: list[Task], members: list[Member], slug: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        plan_sprint(tasks, members)
    assert raised.value.slug == slug


def test_invalid_options_are_refused() -> None:
    with pytest.raises(InvalidArgument) as raised:
        plan_sprint([], [], time_limit_seconds=-1)
    assert raised.value.slug == "invalid-time-limit"
    with pytest.raises(InvalidArgument) as raised:
        plan_sprint([], [], gap_limit=1.5)
    assert raised.value.slug == "invalid-gap-limit"
    with pytest.raises(InvalidArgument) as raised:
        plan_sprint([], [], solver="cplex")
    assert raised.value.slug == "invalid-solver"
