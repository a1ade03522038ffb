"""The allocation: people into groups, with a facilitator each, by a constraint solver (pure).

Theory of operation. Every place a group could meet is a *candidate*: one per facilitator and
slot they can make (a facilitator never runs two groups at one time), plus the groups that
already run (at a change-over, with the members who stay). OR-Tools' CP-SAT decides, for each
person and candidate whose slot the person can make, whether the person goes there
(``x[p, c]``), and which candidates become groups (``used[c]``). The hard rules:

- each person in exactly one group (at a change-over: at most one, as many as fit);
- a group has ``min_size``..``max_size`` members (a running group: at most ``max_size``);
- a facilitator runs at most ``max_groups`` groups;
- with ``separate_cohorts``, a group holds one cohort;
- two people of whom one named the other are never in one group;
- with ``mix_specialties`` (``mix_sites``), no specialty (site) makes up more than half a group.

Among the allocations that keep them all, it prefers group sizes near the middle of the range.
The separations and the mixing rules are switched on by *assumption literals*: when the solver
proves there is no allocation, it names a set of them that cannot hold together, which becomes
the explanation ("keeping Dr A and Dr B apart, and mixing specialties, cannot both hold");
simpler impossibilities (too few people, nobody to run a slot) are found before solving.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

SECONDS = 5.0
"""The longest the solver searches (a programme of a few hundred people takes well under it)."""


@dataclass(frozen=True, slots=True)
class Someone:
    key: str
    label: str
    """How an explanation names them to the lead (the lead imported them)."""
    cohort: str
    specialty: str
    site: str
    slots: frozenset[str]
    avoid: frozenset[str] = frozenset()
    """Keys of people they will not share a group with."""


@dataclass(frozen=True, slots=True)
class Facilitator:
    key: str
    label: str
    slots: frozenset[str]
    max_groups: int = 1


@dataclass(frozen=True, slots=True)
class Running:
    """A group that already meets (a change-over): its place is fixed, its stayers too."""

    key: str
    facilitator: str
    slot: str
    cohort: str | None
    stayers: tuple[Someone, ...]


@dataclass(frozen=True, slots=True)
class Rules:
    min_size: int = 6
    max_size: int = 12
    mix_specialties: bool = False
    mix_sites: bool = False
    separate_cohorts: bool = True


@dataclass(frozen=True, slots=True)
class Group:
    facilitator: str
    slot: str
    cohort: str | None
    members: tuple[str, ...]
    """Keys of the people placed (stayers of a running group not included)."""
    running: str | None = None
    """The running group's key, or None for a new group."""


@dataclass(slots=True)
class Outcome:
    groups: list[Group] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Why there is no allocation, in words for the lead; empty when there is one."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _pairs(people: Sequence[Someone]) -> set[tuple[str, str]]:
    keys = {p.key for p in people}
    return {tuple(sorted((p.key, q))) for p in people for q in p.avoid if q in keys}  # type: ignore[misc]


def prechecks(people: Sequence[Someone], facilitators: Sequence[Facilitator], rules: Rules
              ) -> list[str]:
    """Impossibilities found without solving, each said plainly."""
    problems = []
    if len(people) < rules.min_size:
        problems.append(f"{len(people)} people: a group needs at least {rules.min_size}.")
    offered = {s for f in facilitators for s in f.slots}
    if not facilitators:
        problems.append("No facilitator is offered to this programme.")
    for p in people:
        if not p.slots & offered:
            problems.append(f"{p.label} can make {', '.join(sorted(p.slots)) or 'no slot'}, "
                            "and no facilitator runs a group then.")
    capacity = sum(f.max_groups for f in facilitators) * rules.max_size
    if people and capacity < len(people):
        problems.append(f"{len(people)} people, but the facilitators' groups hold at most "
                        f"{capacity} ({rules.max_size} each).")
    for slot in sorted(offered):
        only = [p for p in people if p.slots == frozenset({slot})]
        room = sum(1 for f in facilitators if slot in f.slots) * rules.max_size
        if len(only) > room:
            problems.append(f"{len(only)} people can make only {slot}, where the facilitators' "
                            f"groups hold {room}.")
    if rules.separate_cohorts:
        for cohort, n in sorted(Counter(p.cohort for p in people).items()):
            if n < rules.min_size:
                problems.append(f"Only {n} in the {cohort} cohort: a group needs "
                                f"{rules.min_size} (or let groups mix cohorts).")
    for on, name in ((rules.mix_specialties, "specialty"), (rules.mix_sites, "site")):
        if not on:
            continue
        pools = defaultdict(list)
        for p in people:
            pools[p.cohort if rules.separate_cohorts else ""].append(getattr(p, name))
        for values in pools.values():
            value, n = Counter(values).most_common(1)[0]
            if 2 * n > len(values):
                problems.append(f"{n} of {len(values)} share the {name} {value}: no group can "
                                f"be at most half {value} (or stop mixing {name}s).")
    return problems


def allocate(people: Sequence[Someone], facilitators: Sequence[Facilitator], rules: Rules,
             *, running: Sequence[Running] = (), everyone: bool = True,
             seconds: float = SECONDS) -> Outcome:
    """Place ``people`` into new groups (and ``running`` ones). With ``everyone``, each must be
    placed or there is no allocation; without it (a change-over), as many as fit are."""
    if everyone and not running:
        problems = prechecks(people, facilitators, rules)
        if problems:
            return Outcome(problems=problems)
    model = cp_model.CpModel()
    busy = Counter(r.facilitator for r in running)
    cands: list[tuple[str, str, Running | None]] = [(r.facilitator, r.slot, r) for r in running]
    for f in facilitators:
        taken = {r.slot for r in running if r.facilitator == f.key}
        if busy[f.key] < f.max_groups:
            cands += [(f.key, s, None) for s in sorted(f.slots - taken)]
    cohorts = sorted({p.cohort for p in people} | {r.cohort for r in running if r.cohort})
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    used, sizes, cohort_of = [], [], []
    for c, (_, slot, run) in enumerate(cands):
        used.append(model.new_constant(1) if run else model.new_bool_var(f"used{c}"))
        choice = {}
        if rules.separate_cohorts and run is None:
            choice = {k: model.new_bool_var(f"cohort{c}{k}") for k in cohorts}
            model.add(sum(choice.values()) == used[c])
        cohort_of.append(choice)
        stay = {s.key for s in run.stayers} if run else set()
        for i, p in enumerate(people):
            if slot not in p.slots or p.avoid & stay or any(p.key in s.avoid for s in
                                                            (run.stayers if run else ())):
                continue
            if rules.separate_cohorts and run is not None and run.cohort not in (None, p.cohort):
                continue
            x[i, c] = model.new_bool_var(f"x{i}_{c}")
            model.add_implication(x[i, c], used[c])
            if choice:
                model.add_implication(x[i, c], choice[p.cohort])
        size = len(stay) + sum(x[i, c] for i in range(len(people)) if (i, c) in x)
        sizes.append(size)
        model.add(size <= rules.max_size * used[c])
        if run is None:
            model.add(size >= rules.min_size * used[c])
    placed = []
    for i, _ in enumerate(people):
        mine = [x[i, c] for c in range(len(cands)) if (i, c) in x]
        if everyone:
            model.add(sum(mine) == 1)
        else:
            model.add(sum(mine) <= 1)
            placed.append(sum(mine))
    for f in facilitators:
        model.add(sum(used[c] for c, (k, _, run) in enumerate(cands) if k == f.key and not run)
                  + busy[f.key] <= f.max_groups)
    assumptions: list[tuple[cp_model.IntVar, str]] = []
    index = {p.key: i for i, p in enumerate(people)}
    labels = {p.key: p.label for p in people}
    for a, b in sorted(_pairs(people)):
        lit = model.new_bool_var(f"apart_{a}_{b}")
        assumptions.append((lit, f"keeping {labels[a]} and {labels[b]} apart"))
        for c in range(len(cands)):
            if (index[a], c) in x and (index[b], c) in x:
                model.add(x[index[a], c] + x[index[b], c] <= 1).only_enforce_if(lit)
    for on, name in ((rules.mix_specialties, "specialty"), (rules.mix_sites, "site")):
        if not on:
            continue
        lit = model.new_bool_var(f"mix_{name}")
        assumptions.append((lit, f"no {name} making up more than half a group"))
        for c, (_, _, run) in enumerate(cands):
            values = Counter(getattr(s, name) for s in (run.stayers if run else ()))
            for value in {getattr(p, name) for p in people} | set(values):
                count = values[value] + sum(x[i, c] for i, p in enumerate(people)
                                            if (i, c) in x and getattr(p, name) == value)
                model.add(2 * count <= sizes[c]).only_enforce_if(lit)
    middle = (rules.min_size + rules.max_size) // 2
    spread = []
    for c in range(len(cands)):
        gap = model.new_int_var(0, rules.max_size, f"gap{c}")
        model.add(gap >= sizes[c] - middle * used[c])
        model.add(gap >= middle * used[c] - sizes[c])
        spread.append(gap)
    weight = rules.max_size * (len(cands) + 1)
    model.minimize(sum(spread) - weight * sum(placed) if placed else sum(spread))
    model.add_assumptions([lit for lit, _ in assumptions])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        core = set(solver.sufficient_assumptions_for_infeasibility())
        named = [why for lit, why in assumptions if lit.index in core]
        if named:
            return Outcome(problems=["These cannot all hold together: " + "; ".join(named) + "."])
        return Outcome(problems=["No allocation fits the slots people can make, the group sizes "
                                 f"({rules.min_size}-{rules.max_size}) and the facilitators "
                                 "together: offer more facilitators or slots."])
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(problems=[f"The solver found no allocation in {seconds:.0f} seconds."])
    outcome = Outcome()
    for c, (fac, slot, run) in enumerate(cands):
        if not solver.boolean_value(used[c]):
            continue
        members = tuple(p.key for i, p in enumerate(people)
                        if (i, c) in x and solver.boolean_value(x[i, c]))
        cohort = run.cohort if run else next(
            (k for k, v in cohort_of[c].items() if solver.boolean_value(v)), None)
        outcome.groups.append(Group(fac, slot, cohort, members, run.key if run else None))
    placed_keys = {k for g in outcome.groups for k in g.members}
    outcome.unplaced = [p.key for p in people if p.key not in placed_keys]
    return outcome


def violations(groups: Sequence[tuple[str, str | None, Sequence[Someone]]], rules: Rules,
               *, complete: bool = True) -> list[str]:
    """Which rules a set of groups (slot, cohort, members) breaks, in words: the check after the
    lead moves someone, and before confirming (``complete``: sizes must reach ``min_size``)."""
    found = []
    for number, (slot, cohort, members) in enumerate(groups, start=1):
        name = f"Group {number}"
        if len(members) > rules.max_size:
            found.append(f"{name} has {len(members)} members (at most {rules.max_size}).")
        if complete and 0 < len(members) < rules.min_size:
            found.append(f"{name} has {len(members)} members (at least {rules.min_size}).")
        keys = {m.key for m in members}
        for m in members:
            if slot not in m.slots:
                found.append(f"{m.label} cannot make {name}'s slot ({slot}).")
            if rules.separate_cohorts and cohort and m.cohort != cohort:
                found.append(f"{m.label} is not in {name}'s cohort ({cohort}).")
            if m.avoid & keys:
                found.append(f"{name} holds two people who must be kept apart ({m.label} "
                             "named someone in it).")
        for on, attr in ((rules.mix_specialties, "specialty"), (rules.mix_sites, "site")):
            if on and members:
                value, n = Counter(getattr(m, attr) for m in members).most_common(1)[0]
                if 2 * n > len(members):
                    found.append(f"{name} is more than half {value} ({attr}).")
    return found
