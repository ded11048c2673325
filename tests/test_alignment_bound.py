"""Alignments are bounded deterministically (issue 16): a variant longer than MAX_ALIGNED_EVENTS is
reported as not aligned, with the reason, whatever the machine's load (one 50,000-event case drove
``cspm discover`` past 20 GB before)."""

from __future__ import annotations

from cspm.mining.pm4py import MAX_ALIGNED_EVENTS, align_variants, inductive_model


def test_a_variant_above_the_bound_is_reported_not_aligned() -> None:
    model = inductive_model({("A", "B"): 5, ("A", "C", "B"): 2}, noise=0.0)
    huge = ("A", *["C"] * 3_000, "B")
    assert len(huge) > MAX_ALIGNED_EVENTS
    net = (model.net, model.initial_marking, model.final_marking)
    out = align_variants(*net, [("A", "B"), huge, ("A", "B", "B")], time_limit=30, workers=1)
    assert [r.status for r in out] == ["aligned", "too long", "aligned"]
    assert out[1].message == "not aligned: 3,002 events, above the bound of 500 per variant"
    assert (out[1].fitness, out[1].seconds) == (None, 0.0)
    assert out[0].fitness == 1.0 and out[2].fitness < 1.0
    assert align_variants(*net, [huge], time_limit=30)[0].status == "too long"
