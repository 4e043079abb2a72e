"""Sprint planner: choose which candidate tasks enter the next sprint and who does each.

Pure domain logic: no database, no I/O. It takes tasks and members as dataclasses and returns a
``SprintPlan`` that explains every decision, so a caller can show it as is.

**Value: what enters.** A task's value is the same whoever does it:

    value(task) = hours × weight(priority) × (1 + 0.25 × score_rank)

- ``weight`` per hour: critical 8, high 4, medium 2, low 1. With the rank bonus (at most 0.25) an
  hour of higher priority always outweighs an hour of lower priority (high ≤ 5 < critical 8), so
  sixteen one-hour low tasks never push out a sixteen-hour critical one, and within a priority
  it does not matter how the work is sliced.
- ``score_rank`` in [0, 1] breaks ties within a priority: the task's position among the distinct
  priority scores (e.g. a feature's RICE score) of all candidates, the highest being 1; a task
  without a score gets 0. Ranks, not raw scores, so one outlier cannot flatten the rest.

The plan maximises the sum of its tasks' values; each task takes its estimated hours from one
member, and no member gets more than their remaining capacity (capacity − current load, at least
0). Who may take a task: a pinned task (already assigned) only its assignee, skills unchecked;
with ``strict_skills`` only members holding every required skill; otherwise anyone.

**Fit: who does it.** ``skill_match(task, member)`` in [0, 1] is the mean of ``level / 5`` over
the task's required skills, a missing skill counting 0; a task that needs no skills counts 0.6 (a
level-3 generalist); skills given as a plain list count as level 3. Once the plan's tasks are
chosen they are placed to maximise Σ value × skill_match, so the most valuable work goes to the
best-matched people: a task moves to a better-matched member with room, and (teams of up to
PAIR_MEMBERS) every pair of members exchanges tasks exactly (a knapsack over one member's load).
Fit never changes which tasks enter, so it cannot cost value; it is a local optimum, not a
proven one. Skills decide who does the work, not whether it is worth doing, and a value that does
not depend on the member keeps the LP bound tight, so plans are proven optimal fast (decision 0011).

**Method.** Interchangeable tasks (same priority, score rank, skills, hours and pin) form a group;
the integer program counts how many tasks of group g each member m who may take them takes:

    max Σ value(g)·x[g, m]  s.t.  Σ_m x[g, m] ≤ |g|,   Σ_g hours(g)·x[g, m] ≤ free(m),   x integer

Hours are counted in the largest unit dividing every estimate (tasks rounded up to whole minutes,
capacities rounded down), so a plan never exceeds anyone's capacity.

1. Greedy: tasks by value per hour, each to the best-matched member who has room.
2. The pooled bound: a knapsack over the team's hours taken together chooses the most valuable
   task set that fits in them (every plan's tasks do, so its value bounds every plan); the set is
   then placed, pinned tasks first, then the largest first, each with the member who may take it
   and has the least room that still fits it. When everything fits, the plan is proven optimal
   (as it usually is: values do not depend on the member and small tasks fill the gaps).
3. Otherwise HiGHS solves the LP relaxation by column generation (each group's few best members
   first, then any column with positive reduced cost); by weak duality its duals prove a bound too.
4. The LP optimum is rounded, then a local search re-packs one member at a time exactly (a knapsack
   over their own tasks and unplanned ones). A chain move also lets a member take a colleague's
   task when the colleague's freed hours, priced at the LP's capacity duals, should be worth more
   refilled; the colleague is re-packed and the move undone unless the plan gained. Teams of up to
   PAIR_MEMBERS also re-pack every pair of members jointly (a two-dimensional knapsack). The search
   stops once the plan is within ``gap_limit`` of the bound, and gets LOCAL_SEARCH_SHARE of the time
   when step 5 may follow.
5. Otherwise HiGHS searches the integer program for a strictly better plan only, within bounds
   that reduced-cost fixing proves any such plan respects; a search that finds none proves the
   plan optimal. It runs if the narrowed program has at most MIP_COLUMNS columns and enough time
   is left, stopped by an interrupt callback; larger programs keep the bound they have: HiGHS'
   root sub-MIP heuristics ignore both the time limit and interrupts there (measured: 102 s past
   a 20 s limit).

``gap`` = (bound − value) / bound for the plan actually returned; ``optimal`` means gap ≤ 1e-6.
``solver`` ``highs`` names this pipeline (steps 2–5), ``greedy`` the baseline alone, which is the
fallback when highspy is missing, fails or the time limit leaves no room for anything else. Every
plan ends with a polish (any task that still fits is added) and the fit pass above. HiGHS rather
than OR-Tools: OR-Tools 9.15 requires protobuf < 6.34, and this project pins protobuf 7.

**Determinism.** HiGHS runs with a fixed seed, everything else is ordered by input position, and
among identical tasks the earlier in the backlog goes first, so the same input gives the same plan,
unless the time limit cut the search short (``time_limited``; the plan is then the best found by
then, which can depend on machine load).
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.chassis.errors import InvalidArgument

PRIORITY_WEIGHT = {"critical": 8.0, "high": 4.0, "medium": 2.0, "low": 1.0}
PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
SCORE_BONUS = 0.25
GENERIC_MATCH = 0.6
LISTED_SKILL_LEVEL = 3
MAX_LEVEL = 5
SOLVERS = ("highs", "greedy")
# Relative gap under which a plan counts as proven optimal (HiGHS' own tolerances are ~1e-6).
OPTIMAL_GAP = 1e-6
# Above this many task-group × member columns the integer search is skipped (see the docstring).
MIP_COLUMNS = 10_000
# HiGHS' root cut rounds overrun its time limit (no callbacks there) by up to about this much per
# column (measured 0.25 s on 3,600 columns): the integer search stops that early, and needs twice it.
MIP_SECONDS_PER_COLUMN = 1e-4
# The pooled bound is skipped when its knapsack table (task parts × team capacity units, a bit each)
# is larger: 200 million bits is 25 MB and about a second (measured 4 ns a cell: 33 million in 0.13 s).
MAX_POOLED_CELLS = 200_000_000
POOLED_SECONDS_PER_CELL = 5e-9
# The local search skips a member whose knapsack table (items × capacity units) would be larger.
MAX_KNAPSACK_CELLS = 5_000_000
# Teams up to this size also get the pairwise re-packing (its cost grows with the square of the team).
PAIR_MEMBERS = 30
# The share of the time left after the LP that the first local search gets when an integer search may follow.
LOCAL_SEARCH_SHARE = 0.4
# Column generation starts each group with its best few members.
FIRST_COLUMNS_PER_GROUP = 4
EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Task:
    """A candidate task; ``assignee_id`` pins it to that member if it is chosen."""

    id: str
    title: str
    priority: str
    estimated_hours: float
    required_skills: tuple[str, ...] = ()
    priority_score: float | None = None
    assignee_id: str | None = None
    feature_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "required_skills", tuple(dict.fromkeys(self.required_skills)))


@dataclass(frozen=True, slots=True)
class Member:
    """A team member; ``skills`` maps skill to level 1–5, or lists skills (each counted level 3)."""

    id: str
    name: str
    skills: Mapping[str, int] | Sequence[str]
    capacity_hours: float
    current_load_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """A task in the sprint, who does it, and why."""

    task_id: str
    title: str
    priority: str
    hours: float
    assignee_id: str
    assignee_name: str
    value: float
    why_in: str
    who_and_why: str


@dataclass(frozen=True, slots=True)
class LeftOutTask:
    """A task left out; ``reason`` is a stable slug, ``why_out`` a sentence.

    Reasons: ``no-skilled-member`` (strict skills), ``no-capacity`` (larger than any eligible
    member's remaining capacity), ``lower-priority`` (the capacity went to higher priorities),
    ``lower-value`` (it went to work worth more), ``tie`` (an identical task earlier in the backlog
    took the last slot).
    """

    task_id: str
    title: str
    priority: str
    hours: float
    reason: str
    why_out: str


@dataclass(frozen=True, slots=True)
class MemberLoad:
    """One member after the plan; ``utilisation`` = (load + planned) / capacity, None if capacity is 0."""

    member_id: str
    name: str
    capacity_hours: float
    current_load_hours: float
    planned_hours: float
    remaining_hours: float
    utilisation: float | None


@dataclass(frozen=True, slots=True)
class SprintPlan:
    """The plan and how it was found.

    ``solver`` is ``highs`` or ``greedy``; ``status`` is ``optimal`` (proven), ``feasible`` (with a
    proven ``gap``) or ``greedy_fallback``; ``bound`` is the proven upper bound on any plan's value.
    ``time_limited``: the time limit cut the search short, so a rerun may differ; ``note`` says why
    the solver fell back or stopped, when it did.
    """

    planned: tuple[PlannedTask, ...]
    left_out: tuple[LeftOutTask, ...]
    members: tuple[MemberLoad, ...]
    total_value: float
    planned_hours: float
    available_hours: float
    solver: str
    status: str
    bound: float | None
    gap: float | None
    solve_seconds: float
    time_limited: bool
    note: str


@dataclass(slots=True)
class _Group:
    """Interchangeable tasks: the same value, size, skills and pin; ``members`` may take them."""

    tasks: list[int]
    units: int
    skills: tuple[str, ...]
    value: float
    members: list[int]
    eligible: frozenset[int]


@dataclass(slots=True)
class _Problem:
    """The validated input in the solver's terms: whole units, member indices, task groups."""

    tasks: Sequence[Task]
    members: Sequence[Member]
    levels: list[dict[str, int]]
    free: list[int]
    units: list[int]
    score_rank: list[float]
    pinned: list[int | None]
    groups: list[_Group]
    group_of: list[int]
    match: dict[tuple[str, ...], list[float]]
    skilled: dict[tuple[str, ...], list[int]]
    strict: bool
    sizes: list[int]


@dataclass(slots=True)
class _Outcome:
    """What the solver stage returns: a plan and what is proven about it."""

    assignment: list[int | None]
    solver: str
    status: str
    bound: float | None = None
    time_limited: bool = False
    note: str = ""


def plan_sprint(
    tasks: Sequence[Task],
    members: Sequence[Member],
    *,
    time_limit_seconds: float = 5.0,
    gap_limit: float = 0.005,
    strict_skills: bool = False,
    solver: str = "highs",
) -> SprintPlan:
    """Plan the sprint: maximise total value within every member's remaining capacity, then place
    the chosen tasks where skills fit them best."""
    started = time.perf_counter()
    _validate(tasks, members, time_limit_seconds, gap_limit, solver)
    problem = _prepare(tasks, members, strict_skills)
    greedy = _polish(problem, _greedy(problem))
    if solver == "greedy":
        outcome = _Outcome(greedy, "greedy", "greedy_fallback", note="greedy requested")
    else:
        # The search stops early enough for a step in progress, the fit pass and the explanations.
        outcome = _solve(problem, greedy, started + 0.9 * time_limit_seconds, gap_limit)
    outcome.assignment = _assign_by_fit(problem, outcome.assignment, started + 0.97 * time_limit_seconds)
    value = _plan_value(problem, outcome.assignment)
    gap = None
    if outcome.bound is not None:
        gap = max(0.0, (outcome.bound - value) / outcome.bound) if outcome.bound > EPS else 0.0
        if outcome.solver == "highs":
            outcome.status = "optimal" if gap <= OPTIMAL_GAP else "feasible"
    return _explain(problem, outcome, gap, time.perf_counter() - started)


def _validate(
    tasks: Sequence[Task], members: Sequence[Member], time_limit: float, gap_limit: float, solver: str
) -> None:
    """Refuse input the planner cannot reason about, naming the first offending item."""
    if solver not in SOLVERS:
        raise InvalidArgument(f"solver must be one of {', '.join(SOLVERS)}", slug="invalid-solver")
    if not (math.isfinite(time_limit) and time_limit >= 0):
        raise InvalidArgument("time_limit_seconds must be a finite number >= 0", slug="invalid-time-limit")
    if not (0 <= gap_limit < 1):
        raise InvalidArgument("gap_limit must be in [0, 1)", slug="invalid-gap-limit")
    member_ids: set[str] = set()
    for member in members:
        if member.id in member_ids:
            raise InvalidArgument(f"member {member.id} appears twice", slug="duplicate-member-id")
        member_ids.add(member.id)
        for label, hours in (
            ("capacity_hours", member.capacity_hours),
            ("current_load_hours", member.current_load_hours),
        ):
            if not (math.isfinite(hours) and hours >= 0):
                raise InvalidArgument(f"member {member.id}: {label} must be a number >= 0", slug="invalid-hours")
        for skill, level in _levels(member).items():
            if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_LEVEL:
                raise InvalidArgument(
                    f"member {member.id}: level of {skill} must be an integer 1-{MAX_LEVEL}", slug="invalid-skill-level"
                )
    task_ids: set[str] = set()
    for task in tasks:
        if task.id in task_ids:
            raise InvalidArgument(f"task {task.id} appears twice", slug="duplicate-task-id")
        task_ids.add(task.id)
        if task.priority not in PRIORITY_WEIGHT:
            raise InvalidArgument(
                f"task {task.id}: priority must be one of {', '.join(PRIORITY_WEIGHT)}", slug="invalid-priority"
            )
        if not (math.isfinite(task.estimated_hours) and task.estimated_hours > 0):
            raise InvalidArgument(f"task {task.id}: estimated_hours must be a number > 0", slug="invalid-hours")
        if task.priority_score is not None and not math.isfinite(task.priority_score):
            raise InvalidArgument(f"task {task.id}: priority_score must be finite", slug="invalid-priority-score")
        if task.assignee_id is not None and task.assignee_id not in member_ids:
            raise InvalidArgument(
                f"task {task.id} is pinned to unknown member {task.assignee_id}", slug="unknown-assignee"
            )


def _levels(member: Member) -> dict[str, int]:
    """The member's skills as {skill: level}; a plain list counts each skill at level 3."""
    if isinstance(member.skills, Mapping):
        return dict(member.skills)
    return dict.fromkeys(member.skills, LISTED_SKILL_LEVEL)


def _skill_match(required: Sequence[str], levels: Mapping[str, int]) -> float:
    """Mean of level/5 over the required skills (missing = 0); a task needing none counts 0.6."""
    if not required:
        return GENERIC_MATCH
    return sum(levels.get(skill, 0) for skill in required) / (MAX_LEVEL * len(required))


def _score_ranks(tasks: Sequence[Task]) -> list[float]:
    """Each task's position among the distinct scores, highest = 1, no score = 0."""
    distinct = sorted({t.priority_score for t in tasks if t.priority_score is not None})
    position = {score: (n + 1) / len(distinct) for n, score in enumerate(distinct)}
    return [0.0 if t.priority_score is None else position[t.priority_score] for t in tasks]


def _prepare(tasks: Sequence[Task], members: Sequence[Member], strict: bool) -> _Problem:
    """Translate to whole units and member indices, and group interchangeable tasks."""
    levels = [_levels(m) for m in members]
    minutes = [max(1, math.ceil(t.estimated_hours * 60 - EPS)) for t in tasks]
    # Sums of estimates are whole multiples of this unit (an hour for whole-hour estimates), so
    # flooring capacities to it loses nothing and keeps the knapsacks small and the program tight.
    unit = math.gcd(*minutes) if minutes else 60
    units = [n // unit for n in minutes]
    free = [math.floor(max(0.0, m.capacity_hours - m.current_load_hours) * 60 + EPS) // unit for m in members]
    ranks = _score_ranks(tasks)
    index_of = {m.id: n for n, m in enumerate(members)}
    pinned = [None if t.assignee_id is None else index_of[t.assignee_id] for t in tasks]
    match: dict[tuple[str, ...], list[float]] = {}
    skilled: dict[tuple[str, ...], list[int]] = {}
    groups: list[_Group] = []
    group_index: dict[tuple, int] = {}
    group_of: list[int] = []
    for n, task in enumerate(tasks):
        skills = tuple(sorted(task.required_skills))
        key = (task.priority, ranks[n], skills, task.estimated_hours, pinned[n])
        g = group_index.get(key)
        if g is None:
            if skills not in match:
                match[skills] = [_skill_match(skills, lv) for lv in levels]
                skilled[skills] = [m for m, lv in enumerate(levels) if all(s in lv for s in skills)]
            candidates = [pinned[n]] if pinned[n] is not None else skilled[skills] if strict else range(len(members))
            eligible = [m for m in candidates if free[m] >= units[n]]
            value = task.estimated_hours * PRIORITY_WEIGHT[task.priority] * (1 + SCORE_BONUS * ranks[n])
            g = group_index[key] = len(groups)
            groups.append(_Group([], units[n], skills, value, eligible, frozenset(eligible)))
        groups[g].tasks.append(n)
        group_of.append(g)
    sizes = sorted({g.units for g in groups})
    return _Problem(tasks, members, levels, free, units, ranks, pinned, groups, group_of, match, skilled, strict, sizes)


def _plan_value(problem: _Problem, assignment: Sequence[int | None]) -> float:
    """Total value of an assignment (task index → member index or None)."""
    groups, group_of = problem.groups, problem.group_of
    return sum(groups[group_of[t]].value for t, m in enumerate(assignment) if m is not None)


def _free_after(problem: _Problem, assignment: Sequence[int | None]) -> list[int]:
    """Each member's units left after the assignment."""
    free = list(problem.free)
    for t, m in enumerate(assignment):
        if m is not None:
            free[m] -= problem.units[t]
    return free


def _by_density(problem: _Problem, tasks: Sequence[int]) -> list[int]:
    """Tasks by value per unit, highest first; ties by input order."""
    groups, group_of, units = problem.groups, problem.group_of, problem.units
    return sorted(tasks, key=lambda t: (-groups[group_of[t]].value / units[t], t))


def _best_member_with_room(
    problem: _Problem, group: _Group, free: Sequence[int], exclude: int | None = None
) -> int | None:
    """The member with room who may take the group and fits it best; ties to the most free, then first."""
    fit = problem.match[group.skills]
    best, best_key = None, None
    for m in group.members:
        if m != exclude and free[m] >= group.units:
            key = (fit[m], free[m], -m)
            if best_key is None or key > best_key:
                best, best_key = m, key
    return best


def _greedy(problem: _Problem) -> list[int | None]:
    """Baseline: tasks by value per hour, each to the best-matched member who has room."""
    free = list(problem.free)
    assignment: list[int | None] = [None] * len(problem.tasks)
    for t in _by_density(problem, range(len(problem.tasks))):
        group = problem.groups[problem.group_of[t]]
        m = _best_member_with_room(problem, group, free)
        if m is not None:
            assignment[t] = m
            free[m] -= group.units
    return assignment


def _polish(problem: _Problem, assignment: list[int | None]) -> list[int | None]:
    """Add every unplanned task that still fits somewhere, best value per hour first."""
    free = _free_after(problem, assignment)
    for t in _by_density(problem, [t for t, m in enumerate(assignment) if m is None]):
        group = problem.groups[problem.group_of[t]]
        m = _best_member_with_room(problem, group, free)
        if m is not None:
            assignment[t] = m
            free[m] -= group.units
    return assignment


# --- Fit: who does each planned task ---------------------------------------------------------------


def _assign_by_fit(problem: _Problem, assignment: list[int | None], deadline: float) -> list[int | None]:
    """Place the planned tasks to maximise Σ value × skill_match without changing which are planned:
    single moves to better-matched members with room, then (small teams) exact pair exchanges,
    round after round until nothing improves or the deadline passes."""
    assignment = list(assignment)
    free = _free_after(problem, assignment)
    pairs = len(problem.members) <= PAIR_MEMBERS
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = _move_to_better_fit(problem, assignment, free)
        if pairs:
            improved |= _exchange_pairs(problem, assignment, free, deadline)
    return assignment


def _fit(problem: _Problem, t: int, m: int) -> float:
    """What task t placed on member m adds to the fit objective."""
    group = problem.groups[problem.group_of[t]]
    return group.value * problem.match[group.skills][m]


def _move_to_better_fit(problem: _Problem, assignment: list[int | None], free: list[int]) -> bool:
    """Move each planned task, most valuable first, to the best-matched member with room; any moved."""
    moved = False
    for t in _by_value(problem, [t for t, m in enumerate(assignment) if m is not None]):
        current = assignment[t]
        assert current is not None
        group = problem.groups[problem.group_of[t]]
        better = _best_member_with_room(problem, group, free, exclude=current)
        if better is not None and _fit(problem, t, better) > _fit(problem, t, current) + EPS:
            free[current] += group.units
            free[better] -= group.units
            assignment[t] = better
            moved = True
    return moved


def _by_value(problem: _Problem, tasks: Sequence[int]) -> list[int]:
    """Tasks by value, highest first; ties by input order."""
    groups, group_of = problem.groups, problem.group_of
    return sorted(tasks, key=lambda t: (-groups[group_of[t]].value, t))


def _exchange_pairs(problem: _Problem, assignment: list[int | None], free: list[int], deadline: float) -> bool:
    """Re-place the tasks of every pair of members exactly for fit; whether any pair gained."""
    on: list[list[int]] = [[] for _ in problem.members]
    for t, m in enumerate(assignment):
        if m is not None:
            on[m].append(t)
    gained = False
    for a in range(len(problem.members)):
        for b in range(a + 1, len(problem.members)):
            if time.perf_counter() >= deadline:
                return gained
            if (on[a] or on[b]) and ((on[a] and on[b]) or free[a] or free[b]):
                gained |= _exchange(problem, a, b, on, assignment, free)
    return gained


def _exchange(
    problem: _Problem, a: int, b: int, on: list[list[int]], assignment: list[int | None], free: list[int]
) -> bool:
    """Split the pair's tasks that either may take between a and b for the best fit (a knapsack over
    a's load with both capacities respected); whether the fit gained."""
    groups, group_of, units = problem.groups, problem.group_of, problem.units
    movable = [t for t in on[a] + on[b] if {a, b} <= groups[group_of[t]].eligible]
    if not movable:
        return False
    room_a = free[a] + sum(units[t] for t in movable if assignment[t] == a)
    room_b = free[b] + sum(units[t] for t in movable if assignment[t] == b)
    total = sum(units[t] for t in movable)
    # best[c]: the most fit gained over "all on b" with exactly c units of the movable tasks on a.
    best = [-math.inf] * (room_a + 1)
    best[0] = 0.0
    took = [[False] * (room_a + 1) for _ in movable]
    for i, t in enumerate(movable):
        w, gain = units[t], _fit(problem, t, a) - _fit(problem, t, b)
        for c in range(room_a, w - 1, -1):
            candidate = best[c - w] + gain
            if candidate > best[c] + EPS:
                best[c], took[i][c] = candidate, True
    current = sum(_fit(problem, t, a) - _fit(problem, t, b) for t in movable if assignment[t] == a)
    lowest = max(0, total - room_b)
    if lowest > room_a:
        return False
    c = max(range(lowest, room_a + 1), key=lambda n: (best[n], -n))
    if best[c] <= current + 1e-7:
        return False
    to_a = set()
    for i in range(len(movable) - 1, -1, -1):
        if took[i][c]:
            to_a.add(movable[i])
            c -= units[movable[i]]
    for t in movable:
        assignment[t] = a if t in to_a else b
    on[a] = [t for t in on[a] if t not in movable] + sorted(to_a)
    on[b] = [t for t in on[b] if t not in movable] + sorted(set(movable) - to_a)
    free[a] = room_a - sum(units[t] for t in to_a)
    free[b] = room_b - (total - sum(units[t] for t in to_a))
    return True


# --- The integer program (HiGHS) -------------------------------------------------------------------


def _solve(problem: _Problem, greedy: list[int | None], deadline: float, gap_limit: float) -> _Outcome:
    """LP bound and rounding, local search, then the integer program; greedy when that gives nothing."""
    if deadline <= time.perf_counter():
        return _Outcome(greedy, "greedy", "greedy_fallback", note="the time limit left no time for the solver")
    try:
        import highspy
        import numpy
    except ImportError:
        return _Outcome(greedy, "greedy", "greedy_fallback", note="highspy is not installed")
    if not any(g.members for g in problem.groups):
        return _Outcome(greedy, "highs", "optimal", bound=0.0, note="no task fits any eligible member")
    try:
        return _solve_with_highs(highspy, numpy, problem, greedy, deadline, gap_limit)
    except Exception as exc:  # the solver only improves on greedy: any failure keeps greedy's plan
        return _Outcome(greedy, "greedy", "greedy_fallback", note=f"the solver failed: {type(exc).__name__}: {exc}")


def _solve_with_highs(
    highspy: Any, np: Any, problem: _Problem, greedy: list[int | None], deadline: float, gap_limit: float
) -> _Outcome:
    """The solver pipeline; see the module docstring."""
    best, bound = greedy, math.inf
    pooled = _pooled(np, problem, deadline)
    if pooled is not None:
        bound, chosen = pooled
        best = _better(problem, _polish(problem, _pack(problem, chosen)), best)
        if _plan_value(problem, best) >= bound * (1 - max(gap_limit, OPTIMAL_GAP)):
            return _Outcome(best, "highs", "feasible", bound=bound)
    columns = _Columns(np, problem)
    relaxation = _lp_bound(highspy, np, columns, _counts(problem, best), deadline)
    if relaxation is None:
        note = "the time limit hit the LP"
        if pooled is None:
            return _Outcome(greedy, "greedy", "greedy_fallback", time_limited=True, note=note)
        return _Outcome(best, "highs", "feasible", bound=bound, time_limited=True, note=note)
    bound, prices = min(bound, relaxation.bound), relaxation.capacity_price
    enough = bound * (1 - max(gap_limit, OPTIMAL_GAP))
    # The local search leaves the integer search the larger share of the time when it may run.
    now = time.perf_counter()
    searching = now + LOCAL_SEARCH_SHARE * (deadline - now) if columns.size <= MIP_COLUMNS else deadline
    counts = _local_search(np, problem, _round(np, problem, columns, relaxation.x), prices, searching, enough)
    best = _better(problem, _polish(problem, _assignment(problem, counts)), best)
    value = _plan_value(problem, best)
    if value >= enough:
        return _Outcome(best, "highs", "feasible", bound=bound)
    # The integer search looks only for plans better than this one by more than the gap that
    # counts as optimal, and only where reduced costs say such a plan can be.
    target = value + OPTIMAL_GAP * bound / 2
    narrowed = _narrowed(np, columns, relaxation, target)
    if narrowed is None:
        return _Outcome(best, "highs", "feasible", bound=min(bound, target))
    size = len(narrowed[0])
    now = time.perf_counter()
    if size > MIP_COLUMNS:
        note = f"{size} columns: too many for the integer search"
        return _Outcome(best, "highs", "feasible", bound=bound, time_limited=now >= deadline, note=note)
    overrun = MIP_SECONDS_PER_COLUMN * size
    if deadline - now < 2 * overrun + 0.02:
        return _Outcome(
            best, "highs", "feasible", bound=bound, time_limited=True, note="no time for the integer search"
        )
    # Stopped early enough to absorb HiGHS' overrun, with a moment left to polish what it finds.
    counts, mip_bound, stopped = _mip(
        highspy, np, columns, narrowed, target, deadline - overrun - 0.02, max(gap_limit - OPTIMAL_GAP, 0.0)
    )
    if mip_bound is not None:  # a better plan is worth at most mip_bound; any other at most target
        bound = min(bound, max(mip_bound, target))
    if counts is None:
        return _Outcome(best, "highs", "feasible", bound=bound, time_limited=stopped)
    counts = _counts(problem, _assignment(problem, counts))  # drops anything HiGHS' tolerances let through
    counts = _local_search(np, problem, counts, prices, deadline, enough)
    best = _better(problem, _polish(problem, _assignment(problem, counts)), best)
    return _Outcome(best, "highs", "feasible", bound=bound, time_limited=stopped)


def _better(problem: _Problem, found: list[int | None], best: list[int | None]) -> list[int | None]:
    """The plan worth more; ``best`` on a tie."""
    return found if _plan_value(problem, found) > _plan_value(problem, best) else best


def _pooled(np: Any, problem: _Problem, deadline: float) -> tuple[float, dict[int, int]] | None:
    """The pooled bound: the best value of any task set that fits in everyone's hours taken
    together (a knapsack of the team's total capacity), and that set as {group: count}; None when
    the table would be too large or take more than half the time left. Every plan's tasks fit in
    the pool, so this bounds every plan."""
    capacity = sum(problem.free)
    items = []  # (group, count, units, value): each group split in powers of two
    for g, group in enumerate(problem.groups):
        left, part = min(len(group.tasks), capacity // group.units) if group.members else 0, 1
        while left > 0:
            k = min(part, left)
            items.append((g, k, k * group.units, k * group.value))
            left, part = left - k, 2 * part
    cells = len(items) * (capacity + 1)
    if cells > MAX_POOLED_CELLS or cells * POOLED_SECONDS_PER_CELL > (deadline - time.perf_counter()) / 2:
        return None
    best = np.zeros(capacity + 1)
    took = []  # per item, which capacities it improved, as bits (the table can be large)
    for _, _, w, value in items:
        candidate = best[: capacity + 1 - w] + value
        better = np.zeros(capacity + 1, dtype=bool)
        better[w:] = candidate > best[w:] + EPS
        took.append(np.packbits(better))
        best[w:] = np.where(better[w:], candidate, best[w:])
    c = int(np.argmax(best))
    bound, chosen = float(best[c]), {}
    for i in range(len(items) - 1, -1, -1):
        if took[i][c >> 3] >> (7 - (c & 7)) & 1:
            g, k, w, _ = items[i]
            chosen[g] = chosen.get(g, 0) + k
            c -= w
    return bound, chosen


def _pack(problem: _Problem, chosen: Mapping[int, int]) -> list[int | None]:
    """Place a chosen task set: pinned tasks first, then the largest first, each to the member who
    may take it with the least room that still fits it (best fit); what fits nowhere stays out."""
    groups, units = problem.groups, problem.units
    order = [t for g, k in chosen.items() for t in groups[g].tasks[:k]]
    order.sort(key=lambda t: (problem.pinned[t] is None, -units[t], t))
    free = list(problem.free)
    assignment: list[int | None] = [None] * len(problem.tasks)
    for t in order:
        fits = [m for m in groups[problem.group_of[t]].members if free[m] >= units[t]]
        if fits:
            m = min(fits, key=lambda n: (free[n], n))
            assignment[t] = m
            free[m] -= units[t]
    return assignment


class _Columns:
    """Every (group, eligible member) pair as numpy arrays: the program's columns, grouped by group."""

    def __init__(self, np: Any, problem: _Problem) -> None:
        groups = problem.groups
        sizes = np.array([len(g.members) for g in groups], dtype=np.int64)
        self.size = int(sizes.sum())
        self.sizes = sizes
        self.first = np.cumsum(sizes) - sizes
        self.group = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
        self.member = np.fromiter((m for g in groups for m in g.members), np.int64, count=self.size)
        self.value = np.array([g.value for g in groups], dtype=np.float64)[self.group]
        self.units = np.array([g.units for g in groups], dtype=np.int64)[self.group]
        counts = np.array([len(g.tasks) for g in groups], dtype=np.int64)
        free = np.array(problem.free, dtype=np.int64)
        self.upper = np.minimum(counts[self.group], free[self.member] // self.units).astype(np.float64)
        self.row_upper = np.concatenate([counts, free]).astype(np.float64)
        self.n_groups = len(groups)
        self.members_of = [g.members for g in groups]

    def index(self, g: int, m: int) -> int:
        """The column of member m in group g (a group's members are in index order)."""
        return int(self.first[g]) + bisect.bisect_left(self.members_of[g], m)

    def used(self, np: Any, counts: Mapping[tuple[int, int], int]) -> Any:
        """A mask of the columns a plan uses."""
        mask = np.zeros(self.size, dtype=bool)
        mask[[self.index(g, m) for g, m in counts]] = True
        return mask


def _new_highs(highspy: Any, np: Any, columns: _Columns, subset: Any, deadline: float) -> Any:
    """A quiet, seeded HiGHS model with every row and the given columns."""
    # The public Highs wrapper prints a banner to stdout on construction, before options can be set.
    solver = highspy._Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("random_seed", 0)
    solver.setOptionValue("time_limit", max(0.001, deadline - time.perf_counter()))
    solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
    n_rows = len(columns.row_upper)
    no_entries = np.zeros(0, dtype=np.int32)
    solver.addRows(n_rows, np.zeros(n_rows), columns.row_upper, 0, no_entries, no_entries, np.zeros(0))
    _add_columns(np, solver, columns, subset)
    return solver


def _stop_at(highspy: Any, solver: Any, deadline: float) -> None:
    """Interrupt the MIP search at the deadline: HiGHS' own time limit is not checked everywhere."""

    def interrupt(kind: Any, message: str, data_out: Any, data_in: Any, user_data: Any) -> None:
        if data_in is not None and time.perf_counter() >= deadline:
            data_in.user_interrupt = True

    solver.setCallback(interrupt, None)
    for kind in ("kCallbackMipInterrupt", "kCallbackSimplexInterrupt"):
        solver.startCallback(getattr(highspy.cb.HighsCallbackType, kind))


def _add_columns(np: Any, solver: Any, columns: _Columns, subset: Any) -> None:
    """Add columns: each has a 1 in its group's row and its size in its member's capacity row."""
    k = len(subset)
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2] = columns.group[subset]
    index[1::2] = columns.n_groups + columns.member[subset]
    values = np.empty(2 * k)
    values[0::2] = 1.0
    values[1::2] = columns.units[subset]
    starts = np.arange(0, 2 * k, 2, dtype=np.int32)
    solver.addCols(k, columns.value[subset], np.zeros(k), columns.upper[subset], 2 * k, starts, index, values)


@dataclass(slots=True)
class _Relaxation:
    """The LP relaxation's outcome: a proven bound and what the final prices say about any plan."""

    bound: float  # the best bound any round proved
    x: Any  # the LP optimum over every column
    row_price: Any  # the final duals (>= 0): group rows, then capacity rows
    reduced: Any  # every column's reduced cost at those duals
    priced_bound: float  # the bound those final duals prove
    capacity_price: list[float]  # what a unit of each member's capacity is worth at those duals


def _lp_bound(
    highspy: Any, np: Any, columns: _Columns, hint: Mapping[tuple[int, int], int], deadline: float
) -> _Relaxation | None:
    """Solve the LP relaxation by column generation; None if the time limit cut it short."""
    order = np.lexsort((columns.member, -columns.value, columns.group))
    rank = np.empty(columns.size, dtype=np.int64)
    rank[order] = np.arange(columns.size) - np.repeat(columns.first, columns.sizes)
    active = (rank < FIRST_COLUMNS_PER_GROUP) | columns.used(np, hint)
    in_model = np.flatnonzero(active)
    solver = _new_highs(highspy, np, columns, in_model, deadline)
    bound = math.inf
    while True:
        solver.setOptionValue("time_limit", max(0.001, deadline - time.perf_counter()))
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = solver.getSolution()
        duals = np.maximum(np.asarray(solution.row_dual), 0.0)
        reduced = columns.value - duals[columns.group] - columns.units * duals[columns.n_groups + columns.member]
        # Weak duality for max c·x, Ax ≤ b, 0 ≤ x ≤ u: any y ≥ 0 bounds it by b·y + u·max(0, c − Aᵀy).
        priced = float(columns.row_upper @ duals + columns.upper @ np.maximum(reduced, 0.0))
        bound = min(bound, priced)
        entering = np.flatnonzero((reduced > EPS) & ~active)
        if len(entering) == 0 or time.perf_counter() >= deadline:
            break
        active[entering] = True
        in_model = np.concatenate([in_model, entering])
        _add_columns(np, solver, columns, entering)
    x = np.zeros(columns.size)
    x[in_model] = np.asarray(solution.col_value)
    return _Relaxation(bound, x, duals, reduced, priced, duals[columns.n_groups :].tolist())


def _narrowed(np: Any, columns: _Columns, relaxation: _Relaxation, target: float) -> tuple[Any, ...] | None:
    """The bounds every plan worth at least ``target`` must respect (reduced-cost fixing), or None
    when no plan can be worth that much: (columns kept, their lower and upper counts, row lower bounds).

    For max c·x, Ax ≤ b, 0 ≤ x ≤ u and duals y ≥ 0 with bound B = b·y + u·max(0, r), r = c − Aᵀy:
    value(x) = B − y·(b − Ax) − Σ_{r>0} r(u − x) − Σ_{r<0} |r|·x, each term ≥ 0. So a plan worth
    ``target`` spends at most B − target on them all: a column with r < 0 takes at most that ÷ |r|,
    one with r > 0 falls at most that ÷ r short of u, and a row with y > 0 leaves at most that ÷ y.
    """
    slack = relaxation.priced_bound - target
    if slack < 0:
        return None
    reduced = relaxation.reduced
    lower, upper = np.zeros(columns.size), columns.upper.copy()
    costly, profitable = reduced < -EPS, reduced > EPS
    upper[costly] = np.minimum(upper[costly], np.floor(slack / -reduced[costly] + 1e-9))
    lower[profitable] = np.maximum(0.0, upper[profitable] - np.floor(slack / reduced[profitable] + 1e-9))
    price = relaxation.row_price
    leeway = np.floor(slack / np.maximum(price, EPS) + 1e-9)
    row_lower = np.where(price > EPS, np.maximum(0.0, columns.row_upper - leeway), 0.0)
    kept = np.flatnonzero(upper >= 1)
    return kept, lower[kept], upper[kept], row_lower


def _mip(
    highspy: Any,
    np: Any,
    columns: _Columns,
    narrowed: tuple[Any, ...],
    target: float,
    deadline: float,
    gap_limit: float,
) -> tuple[dict[tuple[int, int], int] | None, float | None, bool]:
    """Search for a plan worth at least ``target`` within the narrowed bounds:
    (its counts or None, a proven bound on such plans or None, stopped early).

    A search that ends without a plan proves there is none (the bound is then ``target``).
    """
    kept, lower, upper, row_lower = narrowed
    solver = _new_highs(highspy, np, columns, kept, deadline)
    n_rows, k = len(row_lower), len(kept)
    solver.changeRowsBounds(n_rows, np.arange(n_rows, dtype=np.int32), row_lower, columns.row_upper)
    solver.changeColsBounds(k, np.arange(k, dtype=np.int32), lower, upper)
    # The objective as a row: nodes whose relaxation cannot reach the target are pruned at once.
    solver.addRow(target, highspy.kHighsInf, k, np.arange(k, dtype=np.int32), columns.value[kept])
    solver.setOptionValue("mip_rel_gap", gap_limit)
    integer = np.full(k, int(highspy.HighsVarType.kInteger), dtype=np.uint8)
    solver.changeColsIntegrality(k, np.arange(k, dtype=np.int32), integer)
    _stop_at(highspy, solver, deadline)
    solver.run()
    status = solver.getModelStatus()
    stopped = status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)
    if status == highspy.HighsModelStatus.kInfeasible:
        return None, target, False
    info = solver.getInfo()
    bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    if info.primal_solution_status != highspy.kSolutionStatusFeasible:
        return None, bound, stopped
    values = np.asarray(solver.getSolution().col_value)
    counts = {
        (int(columns.group[kept[n]]), int(columns.member[kept[n]])): round(float(values[n]))
        for n in np.flatnonzero(values > 0.5)
    }
    return counts, bound, stopped


def _counts(problem: _Problem, assignment: Sequence[int | None]) -> dict[tuple[int, int], int]:
    """An assignment as {(group, member): how many of the group's tasks that member takes}."""
    counts: dict[tuple[int, int], int] = {}
    for t, m in enumerate(assignment):
        if m is not None:
            key = (problem.group_of[t], m)
            counts[key] = counts.get(key, 0) + 1
    return counts


def _assignment(problem: _Problem, counts: Mapping[tuple[int, int], int]) -> list[int | None]:
    """Counts back to tasks: a group's earliest tasks go first, to members in index order.

    Counts beyond a group's size or a member's capacity are dropped (the polish refills the room).
    """
    assignment: list[int | None] = [None] * len(problem.tasks)
    free = list(problem.free)
    taken = [0] * len(problem.groups)
    for (g, m), count in sorted(counts.items()):
        group = problem.groups[g]
        for _ in range(count):
            if taken[g] >= len(group.tasks) or free[m] < group.units:
                break
            assignment[group.tasks[taken[g]]] = m
            taken[g] += 1
            free[m] -= group.units
    return assignment


def _round(np: Any, problem: _Problem, columns: _Columns, x: Any) -> dict[tuple[int, int], int]:
    """Round the LP optimum: whole parts first, then the largest fractions while they fit."""
    left = [len(g.tasks) for g in problem.groups]
    free = list(problem.free)
    counts: dict[tuple[int, int], int] = {}
    whole = np.floor(x + 1e-6)
    fraction = x - whole
    by_fraction = np.flatnonzero(fraction > 1e-6)
    by_fraction = by_fraction[np.argsort(-fraction[by_fraction], kind="stable")]
    steps = [(int(c), int(whole[c])) for c in np.flatnonzero(whole > 0)] + [(int(c), 1) for c in by_fraction]
    for c, wanted in steps:
        g, m = int(columns.group[c]), int(columns.member[c])
        k = min(wanted, left[g], free[m] // problem.groups[g].units)
        if k > 0:
            counts[(g, m)] = counts.get((g, m), 0) + k
            left[g] -= k
            free[m] -= k * problem.groups[g].units
    return counts


def _local_search(
    np: Any,
    problem: _Problem,
    counts: Mapping[tuple[int, int], int],
    prices: Sequence[float],
    deadline: float,
    enough: float,
) -> dict[tuple[int, int], int]:
    """Re-pack members one at a time; in small teams then pairs of members, then single ones again."""
    counts = _improve(np, problem, counts, prices, deadline, enough)
    if len(problem.members) <= PAIR_MEMBERS:
        counts = _repack_pairs(np, problem, counts, deadline, enough)
        counts = _improve(np, problem, counts, prices, deadline, enough)
    return counts


class _Packing:
    """A plan by group counts, as the local search edits it, with a journal to undo moves."""

    def __init__(self, problem: _Problem, counts: Mapping[tuple[int, int], int]) -> None:
        groups = problem.groups
        self.groups = groups
        self.by_member: list[dict[int, int]] = [{} for _ in problem.members]
        self.holders: list[dict[int, int]] = [{} for _ in groups]
        self.left = [len(g.tasks) for g in groups]
        self.free = list(problem.free)
        self.value = 0.0
        self.journal: list[tuple[str, int, int, int]] = []
        for (g, m), k in sorted(counts.items()):
            self.set_count(m, g, k)
            self.add_left(g, -k)
            self.add_free(m, -k * groups[g].units)
        self.journal.clear()

    def set_count(self, m: int, g: int, k: int) -> None:
        """Member m takes k tasks of group g."""
        old = self.by_member[m].get(g, 0)
        self.journal.append(("count", m, g, old))
        self.value += (k - old) * self.groups[g].value
        if k:
            self.by_member[m][g] = self.holders[g][m] = k
        else:
            self.by_member[m].pop(g, None)
            self.holders[g].pop(m, None)

    def add_left(self, g: int, delta: int) -> None:
        """Change how many of group g's tasks are unplanned."""
        self.journal.append(("left", g, delta, 0))
        self.left[g] += delta

    def add_free(self, m: int, delta: int) -> None:
        """Change member m's free units."""
        self.journal.append(("free", m, delta, 0))
        self.free[m] += delta

    def counts(self) -> dict[tuple[int, int], int]:
        """The plan as {(group, member): count}."""
        return {(g, m): k for m, owned in enumerate(self.by_member) for g, k in owned.items()}

    def undo(self, mark: int) -> None:
        """Undo every change made since ``len(journal)`` was ``mark``."""
        while len(self.journal) > mark:
            kind, a, b, old = self.journal.pop()
            if kind == "count":
                self.set_count(a, b, old)
                self.journal.pop()
            elif kind == "left":
                self.left[a] -= b
            else:
                self.free[a] -= b


def _improve(
    np: Any,
    problem: _Problem,
    counts: Mapping[tuple[int, int], int],
    refill: Sequence[float],
    deadline: float,
    enough: float,
) -> dict[tuple[int, int], int]:
    """Local search: re-pack each member exactly, round after round, until nothing improves, the
    plan is worth ``enough`` (within the gap limit of the bound) or the deadline passes.

    A member may also take a task from a colleague, if that colleague's freed hours are expected (at
    ``refill`` value per unit, the LP's capacity prices) to be worth refilling; the colleague is
    then re-packed too, and the move is undone unless the plan gained.
    """
    if time.perf_counter() >= deadline:
        return dict(counts)
    packing = _Packing(problem, counts)
    offers: list[list[tuple[float, int]]] = [[] for _ in problem.members]
    for g, group in enumerate(problem.groups):
        for m in group.members:
            offers[m].append((group.value, g))
    for offer in offers:
        offer.sort(key=lambda vg: (-vg[0], vg[1]))
    no_refill = [0.0] * len(problem.members)
    improved = True
    while improved:
        improved = False
        for m in range(len(problem.members)):
            if time.perf_counter() >= deadline or packing.value >= enough:
                return packing.counts()
            packing.journal.clear()
            improved |= _repack(np, problem, m, offers[m], packing, no_refill) is not None
            before, mark = packing.value, len(packing.journal)
            robbed = _repack(np, problem, m, offers[m], packing, refill)
            for other in sorted(robbed or ()):
                _repack(np, problem, other, offers[other], packing, no_refill)
            if packing.value <= before + 1e-7:
                packing.undo(mark)
            else:
                improved = True
    return packing.counts()


def _repack(
    np: Any, problem: _Problem, m: int, offer: list[tuple[float, int]], packing: _Packing, refill: Sequence[float]
) -> set[int] | None:
    """Give member m the best set (by knapsack) of its own tasks, unplanned ones and colleagues' ones
    it is worth more with (counting ``refill`` per freed unit); the members robbed, or None if no gain."""
    groups = problem.groups
    capacity = packing.free[m] + sum(k * groups[g].units for g, k in packing.by_member[m].items())
    # A member holds at most capacity // w tasks of size w, so only that many best offers per size matter.
    # Offers come best first, so once every size is full the rest cannot beat them (stolen ones rarely).
    slots = {w: capacity // w for w in problem.sizes if w <= capacity}
    open_sizes = len(slots)
    candidates: dict[int, list[tuple[float, int, int]]] = {w: [] for w in slots}
    for value, g in offer:
        w = groups[g].units
        room = slots.get(w, 0)
        if room <= 0:
            continue
        k = min(packing.by_member[m].get(g, 0) + packing.left[g], room)
        bucket = candidates[w]
        bucket.extend([(value, g, -1)] * k)
        slots[w] = room - k
        for other, held in packing.holders[g].items():
            gain = refill[other] * w
            if other != m and gain > EPS:
                bucket.extend([(gain, g, other)] * held)
        if slots[w] <= 0:
            open_sizes -= 1
            if not open_sizes:
                break
    items = []
    for w, bucket in sorted(candidates.items()):
        bucket.sort(key=lambda item: (-item[0], item[1], item[2]))
        items.extend((w, profit, g, other) for profit, g, other in bucket[: capacity // w])
    if len(items) * (capacity + 1) > MAX_KNAPSACK_CELLS:
        return None
    chosen, total = _knapsack(np, items, capacity)
    current = sum(k * groups[g].value for g, k in packing.by_member[m].items())
    if total <= current + 1e-7:
        return None
    for g, k in list(packing.by_member[m].items()):
        packing.set_count(m, g, 0)
        packing.add_left(g, k)
    packing.add_free(m, capacity - packing.free[m])
    robbed = set()
    for w, _, g, other in (items[i] for i in chosen):
        if other >= 0:
            packing.set_count(other, g, packing.by_member[other][g] - 1)
            packing.add_free(other, w)
            robbed.add(other)
        else:
            packing.add_left(g, -1)
        packing.set_count(m, g, packing.by_member[m].get(g, 0) + 1)
        packing.add_free(m, -w)
    return robbed


def _repack_pairs(
    np: Any, problem: _Problem, counts: Mapping[tuple[int, int], int], deadline: float, enough: float
) -> dict[tuple[int, int], int]:
    """Re-pack every pair of members jointly and exactly, until a sweep gains nothing."""
    packing = _Packing(problem, counts)
    n = len(problem.members)
    improved = True
    while improved:
        improved = False
        for a in range(n):
            for b in range(a + 1, n):
                if time.perf_counter() >= deadline or packing.value >= enough:
                    return packing.counts()
                improved |= _repack_pair(np, problem, a, b, packing)
    return packing.counts()


def _repack_pair(np: Any, problem: _Problem, a: int, b: int, packing: _Packing) -> bool:
    """Give members a and b the best joint set of their own and unplanned tasks (a 2-D knapsack)."""
    groups = problem.groups
    caps = [packing.free[m] + sum(k * groups[g].units for g, k in packing.by_member[m].items()) for m in (a, b)]
    pool: dict[int, int] = {}
    for g in {*packing.by_member[a], *packing.by_member[b]}:
        pool[g] = packing.by_member[a].get(g, 0) + packing.by_member[b].get(g, 0)
    for g, group in enumerate(groups):
        if packing.left[g] and (a in group.eligible or b in group.eligible):
            pool[g] = pool.get(g, 0) + packing.left[g]
    by_size: dict[int, list[tuple[float, int]]] = {}
    for g, k in pool.items():
        by_size.setdefault(groups[g].units, []).extend([(groups[g].value, g)] * k)
    items = []
    for w, offers in sorted(by_size.items()):
        offers.sort(key=lambda vg: (-vg[0], vg[1]))
        items.extend(g for _, g in offers[: (caps[0] + caps[1]) // w])
    if len(items) * (caps[0] + 1) * (caps[1] + 1) > MAX_KNAPSACK_CELLS:
        return False
    total, chosen = _knapsack_2d(np, groups, items, (a, b), caps)
    current = sum(k * groups[g].value for m in (a, b) for g, k in packing.by_member[m].items())
    if total <= current + 1e-7:
        return False
    for m in (a, b):
        for g, k in list(packing.by_member[m].items()):
            packing.set_count(m, g, 0)
            packing.add_left(g, k)
            packing.add_free(m, k * groups[g].units)
        for g, k in chosen[m].items():
            packing.set_count(m, g, k)
            packing.add_left(g, -k)
            packing.add_free(m, -k * groups[g].units)
    return True


def _knapsack_2d(
    np: Any, groups: Sequence[_Group], items: Sequence[int], pair: tuple[int, int], caps: Sequence[int]
) -> tuple[float, dict[int, dict[int, int]]]:
    """Best joint packing of group items into two members: (value, {member: {group: count}})."""
    best = np.full((caps[0] + 1, caps[1] + 1), -np.inf)
    best[0, 0] = 0.0
    took = np.zeros((len(items), caps[0] + 1, caps[1] + 1), dtype=np.int8)
    for i, g in enumerate(items):
        w, before = groups[g].units, best.copy()
        for side, m in enumerate(pair):
            if m not in groups[g].eligible or w > caps[side]:
                continue
            if side == 0:
                candidate, target, mark = before[:-w, :] + groups[g].value, best[w:, :], took[i, w:, :]
            else:
                candidate, target, mark = before[:, :-w] + groups[g].value, best[:, w:], took[i, :, w:]
            better = candidate > target + EPS
            target[better] = candidate[better]
            mark[better] = side + 1
    cell = [int(n) for n in np.unravel_index(int(np.argmax(best)), best.shape)]
    total = float(best[cell[0], cell[1]])
    chosen: dict[int, dict[int, int]] = {m: {} for m in pair}
    for i in range(len(items) - 1, -1, -1):
        side = int(took[i, cell[0], cell[1]])
        if side:
            g = items[i]
            chosen[pair[side - 1]][g] = chosen[pair[side - 1]].get(g, 0) + 1
            cell[side - 1] -= groups[g].units
    return total, chosen


def _knapsack(np: Any, items: Sequence[tuple[int, float, int, int]], capacity: int) -> tuple[list[int], float]:
    """0/1 knapsack over (units, profit, …) items by dynamic programming on capacity."""
    best = np.zeros(capacity + 1)
    took = np.zeros((len(items), capacity + 1), dtype=bool)
    for i, (w, profit, *_) in enumerate(items):
        candidate = best[: capacity + 1 - w] + profit
        better = candidate > best[w:] + EPS
        took[i, w:] = better
        best[w:] = np.where(better, candidate, best[w:])
    c = int(np.argmax(best))
    total, chosen = float(best[c]), []
    for i in range(len(items) - 1, -1, -1):
        if took[i, c]:
            chosen.append(i)
            c -= items[i][0]
    return chosen, total


# --- Explanations ----------------------------------------------------------------------------------


def _explain(problem: _Problem, outcome: _Outcome, gap: float | None, seconds: float) -> SprintPlan:
    """Build the plan with a reason for every task and each member's utilisation."""
    assignment = outcome.assignment
    free = _free_after(problem, assignment)
    on_member: list[list[int]] = [[] for _ in problem.members]
    for t, m in enumerate(assignment):
        if m is not None:
            on_member[m].append(t)
    booked = [_booked(problem, m, on_member[m]) for m in range(len(problem.members))]
    planned, left_out = [], []
    for t, m in enumerate(assignment):
        task = problem.tasks[t]
        if m is None:
            reason, why_out = _why_out(problem, t, assignment, booked)
            left_out.append(LeftOutTask(task.id, task.title, task.priority, task.estimated_hours, reason, why_out))
            continue
        member = problem.members[m]
        value = problem.groups[problem.group_of[t]].value
        why_in, who = _why_in(problem, t), _who_and_why(problem, t, m, free, booked)
        planned.append(
            PlannedTask(
                task.id, task.title, task.priority, task.estimated_hours, member.id, member.name, value, why_in, who
            )
        )
    loads = tuple(
        MemberLoad(
            member.id,
            member.name,
            member.capacity_hours,
            member.current_load_hours,
            booked[m].hours,
            booked[m].left,
            (member.current_load_hours + booked[m].hours) / member.capacity_hours
            if member.capacity_hours > 0
            else None,
        )
        for m, member in enumerate(problem.members)
    )
    return SprintPlan(
        planned=tuple(planned),
        left_out=tuple(left_out),
        members=loads,
        total_value=_plan_value(problem, assignment),
        planned_hours=sum(load.planned_hours for load in loads),
        available_hours=sum(_remaining(m) for m in problem.members),
        solver=outcome.solver,
        status=outcome.status,
        bound=outcome.bound,
        gap=gap,
        solve_seconds=seconds,
        time_limited=outcome.time_limited,
        note=outcome.note,
    )


@dataclass(frozen=True, slots=True)
class _Booked:
    """What the plan gives one member: hours, value, lowest priority, and hours left."""

    hours: float
    value: float
    lowest_priority: int | None
    left: float


def _booked(problem: _Problem, m: int, tasks: Sequence[int]) -> _Booked:
    """Summarise member m's planned tasks."""
    hours = sum(problem.tasks[t].estimated_hours for t in tasks)
    value = sum(problem.groups[problem.group_of[t]].value for t in tasks)
    lowest = min((PRIORITY_RANK[problem.tasks[t].priority] for t in tasks), default=None)
    return _Booked(hours, value, lowest, _remaining(problem.members[m]) - hours)


def _remaining(member: Member) -> float:
    """Hours the member has for this sprint: capacity − current load, at least 0."""
    return max(0.0, member.capacity_hours - member.current_load_hours)


def _why_in(problem: _Problem, t: int) -> str:
    """How the task's value is made up (see the module docstring)."""
    task = problem.tasks[t]
    weight, rank = PRIORITY_WEIGHT[task.priority], problem.score_rank[t]
    value = problem.groups[problem.group_of[t]].value
    score = "no score" if task.priority_score is None else f"score {task.priority_score:g} ranks {rank:.2f}"
    return (
        f"{task.priority} priority (weight {weight:g} per hour); {score} (+{SCORE_BONUS * rank:.2f}): "
        f"{value / task.estimated_hours:.2f} per hour × {task.estimated_hours:g}h = value {value:.2f}"
    )


def _who_and_why(problem: _Problem, t: int, m: int, free: Sequence[int], booked: Sequence[_Booked]) -> str:
    """Why this member: the pin, or the skill match against the others, and their room."""
    task, member = problem.tasks[t], problem.members[m]
    group = problem.groups[problem.group_of[t]]
    room = f"{member.name} has {booked[m].left:g}h of {_remaining(member):g}h left after the plan"
    if problem.pinned[t] is not None:
        return f"pinned to {member.name}; {room}"
    if not task.required_skills:
        return f"no skills required, so anyone fits; {room}"
    levels = problem.levels[m]
    held = ", ".join(f"{s} {levels[s]}/{MAX_LEVEL}" if s in levels else f"no {s}" for s in task.required_skills)
    match = problem.match[group.skills]
    candidates = problem.skilled[group.skills] if problem.strict else range(len(problem.members))
    better = [n for n in candidates if match[n] > match[m] + EPS]
    if not better and match[m] <= 0:
        return f"nobody has {' or '.join(task.required_skills)}, so it goes where there is room; {room}"
    if not better:
        return f"best skill match available ({held}; match {match[m]:.2f}); {room}"
    roomy = [n for n in better if free[n] >= group.units]
    names = _names(problem, roomy or better)
    if roomy:  # only when the fit pass ran out of time; it moves such tasks otherwise
        return f"{held} (match {match[m]:.2f}); better-matched {names} had room but the search left it here; {room}"
    have = "has" if len(better) == 1 else "have"
    return f"{held} (match {match[m]:.2f}); better-matched {names} {have} no room left for it; {room}"


def _names(problem: _Problem, members: Sequence[int]) -> str:
    """Up to three member names."""
    names = ", ".join(problem.members[n].name for n in members[:3])
    return names + (f" and {len(members) - 3} more" if len(members) > 3 else "")


def _why_out(problem: _Problem, t: int, assignment: Sequence[int | None], booked: Sequence[_Booked]) -> tuple[str, str]:
    """Why the task is out: skills, size, an identical earlier task, or a better use of the hours."""
    task, group = problem.tasks[t], problem.groups[problem.group_of[t]]
    hours = task.estimated_hours
    pinned = problem.pinned[t]
    if pinned is not None:
        candidates = [pinned]
    elif problem.strict:
        candidates = problem.skilled[group.skills]
        if not candidates:
            return "no-skilled-member", f"strict skills: no member has all of {', '.join(task.required_skills)}"
    else:
        candidates = list(range(len(problem.members)))
    if not group.members:
        most = max((_remaining(problem.members[n]) for n in candidates), default=0.0)
        if pinned is not None:
            name = problem.members[pinned].name
            return "no-capacity", f"pinned to {name}, who has {most:g}h for this sprint; it needs {hours:g}h"
        return "no-capacity", f"needs {hours:g}h; the most any eligible member has for this sprint is {most:g}h"
    twin = max((n for n in group.tasks if assignment[n] is not None and n < t), default=None)
    if twin is not None:
        return "tie", (
            f"identical (priority, score, skills, size) to planned task {problem.tasks[twin].id}, "
            "which comes earlier in the backlog; there is no room for another"
        )
    fits = [booked[n] for n in group.members]
    where = f"the {len(fits)} member(s) it fits have at most {max(b.left for b in fits):g}h left, it needs {hours:g}h"
    lowest = min((b.lowest_priority for b in fits if b.lowest_priority is not None), default=None)
    if lowest is not None and lowest > PRIORITY_RANK[task.priority]:
        return "lower-priority", f"{where}; their hours went to higher-priority work"
    value = group.value
    planned_hours = sum(b.hours for b in fits)
    rate = sum(b.value for b in fits) / planned_hours if planned_hours else 0.0
    return "lower-value", (
        f"{where}; at best it is worth {value:.2f} ({value / hours:.2f} per hour), and the work planned "
        f"on them yields {rate:.2f} per hour"
    )
