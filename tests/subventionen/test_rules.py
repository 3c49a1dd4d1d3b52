"""The arithmetic of a claim (pure): lines per commune and for the tenant, the cap, the rounding; properties."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.subventionen.models import COMMUNE_CAP, COST_SHARE, FLAT_COMMUNE, FLAT_TENANT, PER_ACTIVITY
from plugins.subventionen.rules import ROUNDING, RuleTerms, Span, compute, days_served, spans

START, END = date(2017, 1, 1), date(2017, 12, 31)
LETTERS, INTERVIEWS = "informieren.letters_sent", "informieren.interviews_held"
RULES = [RuleTerms(1, FLAT_TENANT, 500_000), RuleTerms(2, FLAT_COMMUNE, 200_000),
         RuleTerms(3, PER_ACTIVITY, 5_000, LETTERS), RuleTerms(4, PER_ACTIVITY, 15_000, INTERVIEWS),
         RuleTerms(5, COST_SHARE, share=5_000, ceiling=1_000_000), RuleTerms(6, COMMUNE_CAP, 3_000_000)]


def whole_year(*numbers):
    return [Span(number, START, END) for number in numbers]


def test_a_commune_served_all_year_gets_its_flat_its_activities_and_the_tenant_its_flat_and_cost_share():
    result = compute(RULES, START, END, whole_year(2546), {LETTERS: {2546: 10}, INTERVIEWS: {2546: 4}}, 123_457)
    assert [(line.bfs_number, line.kind, line.quantity, line.amount) for line in result.lines] == [
        (2546, FLAT_COMMUNE, 365, 200_000), (2546, PER_ACTIVITY, 10, 50_000), (2546, PER_ACTIVITY, 4, 60_000),
        (None, FLAT_TENANT, 1, 500_000), (None, COST_SHARE, 1, 61_728),  # 50 % of 1'234.57, rounded down
        (None, ROUNDING, 1, 2)]  # 8'717.28 → 8'717.30
    assert result.total == 871_730 == sum(line.amount for line in result.lines)


def test_the_cost_share_stops_at_its_ceiling_and_the_cap_cuts_a_commune_with_a_negative_line():
    result = compute(RULES, START, END, whole_year(2546), {INTERVIEWS: {2546: 300}}, 5_000_000)
    by_kind = {(line.bfs_number, line.kind): line.amount for line in result.lines if line.kind != PER_ACTIVITY}
    assert by_kind[(None, COST_SHARE)] == 1_000_000
    assert by_kind[(2546, COMMUNE_CAP)] == 3_000_000 - (200_000 + 300 * 15_000)
    assert sum(line.amount for line in result.lines if line.bfs_number == 2546) == 3_000_000


def test_a_commune_served_part_of_the_year_brings_its_flat_and_cap_by_days_rounded_down():
    first, second = Span(2455, START, date(2017, 6, 30)), Span(2455, date(2017, 7, 1), END)
    before = compute([RuleTerms(1, FLAT_COMMUNE, 200_000)], START, END, [first], {}, 0)
    after = compute([RuleTerms(1, FLAT_COMMUNE, 200_000)], START, END, [second], {}, 0)
    assert [line.quantity for line in before.lines[:1]] == [181] and after.lines[0].quantity == 184
    assert before.lines[0].amount == 200_000 * 181 // 365 == 99_178
    assert after.lines[0].amount == 200_000 * 184 // 365 == 100_821
    assert before.lines[0].amount + after.lines[0].amount <= 200_000  # paid once, never more


def test_spans_clip_the_links_to_the_period_and_drop_those_outside():
    links = [SimpleNamespace(bfs_number=2455, valid_from=date(2016, 1, 1), valid_to=date(2017, 6, 30)),
             SimpleNamespace(bfs_number=2465, valid_from=date(2017, 7, 1), valid_to=None),
             SimpleNamespace(bfs_number=2457, valid_from=date(2018, 1, 1), valid_to=None),
             SimpleNamespace(bfs_number=2422, valid_from=date(2015, 1, 1), valid_to=date(2016, 12, 31))]
    assert spans(links, START, END) == [Span(2455, START, date(2017, 6, 30)), Span(2465, date(2017, 7, 1), END)]
    assert days_served(spans(links, START, END)) == {2455: 181, 2465: 184}


def test_no_rules_no_communes_nothing_to_claim():
    assert compute([], START, END, [], {}, 0).lines == () and compute([], START, END, [], {}, 0).total == 0


# -- properties -----------------------------------------------------------------------------------

rappen = st.integers(min_value=1, max_value=10**9)
rule_sets = st.lists(st.one_of(
    st.builds(lambda a: (FLAT_TENANT, a, None, None, None), rappen),
    st.builds(lambda a: (FLAT_COMMUNE, a, None, None, None), rappen),
    st.builds(lambda a, k: (PER_ACTIVITY, a, k, None, None), rappen, st.sampled_from([LETTERS, INTERVIEWS])),
    st.builds(lambda s, c: (COST_SHARE, None, None, s, c), st.integers(1, 10_000), st.none() | rappen),
    st.builds(lambda a: (COMMUNE_CAP, a, None, None, None), st.integers(0, 10**8)),
), max_size=8)
served = st.lists(st.tuples(st.sampled_from([2546, 2455, 2465, 2457]), st.integers(0, 364), st.integers(0, 364)),
                  max_size=6)
activity = st.dictionaries(st.sampled_from([LETTERS, INTERVIEWS]),
                           st.dictionaries(st.sampled_from([2546, 2455, 2465, 2457, 9999]),
                                           st.integers(0, 5_000)))


@settings(max_examples=300, deadline=None)
@given(rule_sets, served, activity, st.integers(0, 10**10))
def test_the_lines_always_sum_to_the_total_in_whole_rappen_a_multiple_of_5(drafts, links, counts, costs):
    rules = [RuleTerms(seq, kind, amount, key, share, ceiling)
             for seq, (kind, amount, key, share, ceiling) in enumerate(drafts, start=1)]
    served_spans = sorted({(bfs, START + timedelta(days=min(a, b)), START + timedelta(days=max(a, b)))
                           for bfs, a, b in links})
    result = compute(rules, START, END, [Span(*span) for span in served_spans], counts, costs)
    assert all(type(line.amount) is int for line in result.lines) and type(result.total) is int
    assert sum(line.amount for line in result.lines) == result.total
    assert result.total >= 0 and result.total % 5 == 0
    rounding = [line.amount for line in result.lines if line.kind == ROUNDING]
    assert len(rounding) <= 1 and all(-2 <= amount <= 2 for amount in rounding)
    caps = [rule.amount for rule in rules if rule.kind == COMMUNE_CAP]
    if caps:
        for bfs in {line.bfs_number for line in result.lines if line.bfs_number is not None}:
            assert sum(line.amount for line in result.lines if line.bfs_number == bfs) <= min(caps)
