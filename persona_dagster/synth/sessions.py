"""Day-by-day simulation of sessions: task walks with noise, timing, and new-service adoption."""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass

import numpy as np

from persona_dagster.synth.catalog import Catalog, page_kind
from persona_dagster.synth.population import Population

# Sessions of one user are at least this far apart and clicks inside one at most MAX_CLICK_GAP_S apart,
# so a 30-minute inactivity gap recovers the true sessions exactly.
MIN_SESSION_GAP_S = 45 * 60
MAX_CLICK_GAP_S = 10 * 60
MEAN_CLICK_GAP_S = 25.0
DAY_S = 86_400
WEEKEND_RATE = 0.4

# How a walk departs from the task's usual page order.
P_SKIP = 0.12
P_REPEAT = 0.08  # reload the page
P_BACK = 0.07  # go back one page, then forward again
P_ABANDON = 0.05  # per page, stop the task early

# Relative chance that a session starts in each local hour (0 = midnight): nobody works 01:00-05:59.
LOCAL_HOUR_WEIGHTS = np.array(
    [0.2, 0, 0, 0, 0, 0, 0.3, 0.8, 1.5, 2.5, 3, 3, 2, 2.5, 3, 3, 2.5, 2, 1.2, 1, 1.2, 1, 0.6, 0.3]
)
PAGE_KINDS = ("view", "edit", "create")


@dataclass(frozen=True)
class Knobs:
    """The behaviour knobs of the simulation (sizes live in the generator's config)."""

    session_rate: float
    noise_rate: float
    adoption_rate: float
    random_adoption_rate: float
    multi_task_rate: float


class CatalogIndex:
    """The catalog coded as integers: activities, services and tasks by position."""

    def __init__(self, catalog: Catalog) -> None:
        self.services: list[str] = list(catalog.services)
        service_no = {s: i for i, s in enumerate(self.services)}
        self.activities: list[tuple[str, str]] = [(s, p) for s, pages in catalog.services.items() for p in pages]
        activity_no = {a: i for i, a in enumerate(self.activities)}
        self.activity_service = np.array([service_no[s] for s, _ in self.activities], dtype=np.int32)
        self.activity_kind = np.array([PAGE_KINDS.index(page_kind(p)) for _, p in self.activities], dtype=np.int8)
        self.service_activities: list[list[int]] = [
            [activity_no[(s, p)] for p in catalog.services[s]] for s in self.services
        ]
        self.tasks: list[str] = list(catalog.tasks)
        self.task_no = {t: i for i, t in enumerate(self.tasks)}
        self.task_steps: list[list[int]] = [[activity_no[a] for a in catalog.tasks[t]] for t in self.tasks]
        self.task_services: list[list[int]] = [
            [service_no[s] for s in catalog.task_services(t)] for t in self.tasks
        ]
        self.base_services = frozenset(service_no[s] for s in catalog.base_services)
        self.home_pages = self.service_activities[service_no["console-home"]]
        self.docs_pages = [
            activity_no[("docs", p)] for p in catalog.services["docs"] if ("docs", p) not in catalog.activity_task
        ]


@dataclass
class DayEvents:
    """One day's simulated events, sorted by time; per-session arrays are indexed by `session`."""

    user: np.ndarray  # int32 user number per event
    session: np.ndarray  # int32 session number within the day per event
    activity: np.ndarray  # int32 activity number per event
    task: np.ndarray  # int16 task number, -1 for noise clicks
    ts: np.ndarray  # int64 epoch seconds
    session_user: np.ndarray  # int32 user number per session
    adoptions: list[tuple[int, int, int]]  # (user, service, epoch seconds of first use)


@dataclass
class _Walk:
    activities: list[int]
    tasks: list[int]
    adopted: list[int]  # services first used in this walk


class ClickstreamSimulator:
    """Simulates days in order; what users know carries from one day to the next."""

    def __init__(self, catalog: Catalog, population: Population, knobs: Knobs, seed: int) -> None:
        self.index = idx = CatalogIndex(catalog)
        self.population = population
        self.knobs = knobs
        self.seed = seed
        service_no = {s: i for i, s in enumerate(idx.services)}
        # A list beside each set keeps random picks from known services deterministic and cheap.
        self.known_list = [sorted(service_no[s] for s in svcs) for svcs in population.initial_services]
        self.known = [set(k) for k in self.known_list]
        self.user_tasks: list[list[int]] = [[idx.task_no[t] for t in tasks] for tasks in population.tasks]
        self.task_weights: list[tuple[float, ...]] = list(population.task_weights)
        self.user_services = [self._services_of(tasks) for tasks in self.user_tasks]
        self.last_end = [-(10**12)] * len(population)
        self._hour_p = LOCAL_HOUR_WEIGHTS / LOCAL_HOUR_WEIGHTS.sum()
        self._noise_odds = knobs.noise_rate / (1.0 - knobs.noise_rate)

    def _services_of(self, tasks: list[int]) -> frozenset[int]:
        return frozenset(s for t in tasks for s in self.index.task_services[t]) | self.index.base_services

    def switch_persona(self, u: int, tasks: tuple[str, ...], cum_weights: tuple[float, ...]) -> None:
        """From the next simulated day on, user u does these tasks (what they know stays known)."""
        self.user_tasks[u] = [self.index.task_no[t] for t in tasks]
        self.task_weights[u] = cum_weights
        self.user_services[u] = self._services_of(self.user_tasks[u])

    def simulate_day(self, day_index: int, day: dt.date) -> DayEvents:
        """Simulate every user's sessions on one UTC day; call days in order."""
        rng = np.random.default_rng([self.seed, 1, day_index])
        rnd = random.Random(int(rng.integers(2**62)))
        pop = self.population
        day_start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
        day_last = day_start + DAY_S - 1

        rate = self.knobs.session_rate * (WEEKEND_RATE if day.weekday() >= 5 else 1.0)
        counts = rng.poisson(rate * pop.activity)
        session_user_draft = np.repeat(np.arange(len(pop)), counts)
        local = rng.choice(24, size=len(session_user_draft), p=self._hour_p) * 3600
        local = local + rng.integers(0, 3600, size=len(session_user_draft))
        candidates = ((local - pop.utc_offset_s[session_user_draft]) % DAY_S).tolist()
        delays = np.clip(np.rint(rng.exponential(MEAN_CLICK_GAP_S, size=int(counts.sum()) * 40)), 1, MAX_CLICK_GAP_S)
        delay_pool = delays.astype(np.int64).tolist()
        pool_at = 0

        acts: list[int] = []
        labels: list[int] = []
        gaps: list[int] = []
        session_user: list[int] = []
        session_start: list[int] = []
        session_len: list[int] = []
        adoptions: list[tuple[int, int, int]] = []
        pos = 0
        for u, k in zip(np.flatnonzero(counts).tolist(), counts[counts > 0].tolist()):
            prev_end = self.last_end[u]
            for cand in sorted(candidates[pos : pos + k]):
                walk = self._walk(u, rnd)
                n = len(walk.activities)
                if pool_at + n > len(delay_pool):  # only on freak days; keeps the draw deterministic
                    extra = np.clip(np.rint(rng.exponential(MEAN_CLICK_GAP_S, size=n * 100)), 1, MAX_CLICK_GAP_S)
                    delay_pool.extend(extra.astype(np.int64).tolist())
                step = delay_pool[pool_at : pool_at + n]
                step[0] = 0
                duration = sum(step)
                start = max(day_start + cand, prev_end + MIN_SESSION_GAP_S)
                if start + duration > day_last:
                    start = day_last - duration
                if start < prev_end + MIN_SESSION_GAP_S or start < day_start:
                    break  # no room left today for this user's remaining sessions
                pool_at += n
                for service in walk.adopted:
                    first = next(i for i, a in enumerate(walk.activities) if self.index.activity_service[a] == service)
                    adoptions.append((u, service, start + sum(step[: first + 1])))
                    self.known[u].add(service)
                    self.known_list[u].append(service)
                acts.extend(walk.activities)
                labels.extend(walk.tasks)
                gaps.extend(step)
                session_user.append(u)
                session_start.append(start)
                session_len.append(n)
                prev_end = start + duration
            self.last_end[u] = prev_end
            pos += k
        return _assemble(acts, labels, gaps, session_user, session_start, session_len, adoptions)

    def _pick_task(self, u: int, rnd: random.Random, exclude: int = -1) -> int:
        cum = self.task_weights[u]
        tasks = self.user_tasks[u]
        for _ in range(8):
            t = tasks[bisect.bisect_right(cum, rnd.random() * cum[-1])]
            if t != exclude:
                return t
        return -1

    def _walk(self, u: int, rnd: random.Random) -> _Walk:
        idx = self.index
        known = self.known[u]
        task = self._pick_task(u, rnd)
        unknown = [s for s in idx.task_services[task] if s not in known]
        adopted: list[int] = []
        # A task whose services are all new can only be done by adopting one of them.
        if unknown and (len(unknown) == len(idx.task_services[task]) or rnd.random() < self.knobs.adoption_rate):
            adopted.append(unknown[int(rnd.random() * len(unknown))])
        allowed = set(known).union(adopted) if adopted else known
        steps = [a for a in idx.task_steps[task] if idx.activity_service[a] in allowed]
        keep = next((a for a in steps if adopted and idx.activity_service[a] == adopted[0]), -1)
        activities = _vary(steps, rnd, keep)
        tasks = [task] * len(activities)

        if rnd.random() < self.knobs.multi_task_rate:
            second = self._pick_task(u, rnd, exclude=task)
            if second >= 0:
                more = _vary([a for a in idx.task_steps[second] if idx.activity_service[a] in known], rnd, -1)
                activities += more
                tasks += [second] * len(more)

        noisy_acts: list[int] = []
        noisy_tasks: list[int] = []
        for a, t in zip(activities, tasks):
            if rnd.random() < self._noise_odds:
                noisy_acts.append(self._noise_page(u, rnd))
                noisy_tasks.append(-1)
            noisy_acts.append(a)
            noisy_tasks.append(t)

        if rnd.random() < self.knobs.random_adoption_rate:
            outside = [
                s for s in range(len(idx.services))
                if s not in known and s not in self.user_services[u] and s not in adopted
            ]
            if outside:
                service = outside[int(rnd.random() * len(outside))]
                pages = idx.service_activities[service]
                detour = [pages[0], pages[1 + int(rnd.random() * (len(pages) - 1))]]
                at = int(rnd.random() * (len(noisy_acts) + 1))
                noisy_acts[at:at] = detour
                noisy_tasks[at:at] = [-1, -1]
                adopted.append(service)
        return _Walk(noisy_acts, noisy_tasks, adopted)

    def _noise_page(self, u: int, rnd: random.Random) -> int:
        """A navigation click: console home, the docs, or any page of a service the user knows."""
        idx = self.index
        r = rnd.random()
        if r < 0.35:
            pages = idx.home_pages
        elif r < 0.55:
            pages = idx.docs_pages
        else:
            known = self.known_list[u]
            pages = idx.service_activities[known[int(rnd.random() * len(known))]]
        return pages[int(rnd.random() * len(pages))]


def _vary(steps: list[int], rnd: random.Random, keep: int) -> list[int]:
    """Walk a task's pages in order with skips, reloads, back-and-forth and early stops; `keep` is never skipped."""
    out: list[int] = []
    last = len(steps) - 1
    for i, a in enumerate(steps):
        if a != keep and rnd.random() < P_SKIP and (out or i < last):
            continue
        out.append(a)
        r = rnd.random()
        if r < P_REPEAT:
            out.append(a)
        elif r < P_REPEAT + P_BACK and len(out) >= 2:
            out += [out[-2], a]
        if i < last and len(out) >= 2 and rnd.random() < P_ABANDON and (keep < 0 or keep in out):
            break
    return out


def _assemble(
    acts: list[int],
    labels: list[int],
    gaps: list[int],
    session_user: list[int],
    session_start: list[int],
    session_len: list[int],
    adoptions: list[tuple[int, int, int]],
) -> DayEvents:
    lengths = np.asarray(session_len, dtype=np.int64)
    elapsed = np.cumsum(np.asarray(gaps, dtype=np.int64))
    first = np.cumsum(lengths) - lengths
    offset = elapsed - np.repeat(elapsed[first] if len(first) else elapsed[:0], lengths)
    ts = np.repeat(np.asarray(session_start, dtype=np.int64), lengths) + offset
    session = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    order = np.lexsort((np.arange(len(ts)), ts))  # by time; generation order breaks ties
    su = np.asarray(session_user, dtype=np.int32)
    return DayEvents(
        user=su[session][order],
        session=session[order],
        activity=np.asarray(acts, dtype=np.int32)[order],
        task=np.asarray(labels, dtype=np.int16)[order],
        ts=ts[order],
        session_user=su,
        adoptions=adoptions,
    )
