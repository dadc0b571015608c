import dagster as dg
import pytest

from persona_dagster.runner import run_waves
from persona_dagster.model_store import ModelNotFoundError, content_version, current, publish


def test_publish_versions_by_content_and_moves_the_current_pointer(tmp_path):
    first = tmp_path / "a"
    first.mkdir()
    (first / "w.safetensors").write_bytes(b"weights-1")
    stored = publish(first, tmp_path / "store", "m")
    assert stored.version == content_version(first) and (stored.path / "w.safetensors").read_bytes() == b"weights-1"
    assert publish(first, tmp_path / "store", "m") == stored  # same bytes, same version
    (first / "w.safetensors").write_bytes(b"weights-2")
    newer = publish(first, tmp_path / "store", "m")
    assert newer.version != stored.version and current(tmp_path / "store", "m") == newer
    assert stored.path.exists(), "older versions stay for the embeddings that used them"


def test_missing_model_says_what_to_materialize(tmp_path):
    with pytest.raises(ModelNotFoundError, match="materialize"):
        current(tmp_path, "sessionbert")


def test_runs_switch_where_partitioning_switches():
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01")

    @dg.asset
    def reference(): ...

    @dg.asset(partitions_def=daily)
    def events(): ...

    @dg.asset(deps=[events, reference], partitions_def=daily)
    def marts(): ...

    @dg.asset(deps=[marts])
    def model(): ...

    @dg.asset(deps=[model, marts], partitions_def=daily)
    def embeddings(): ...

    graph = dg.Definitions(assets=[reference, events, marts, model, embeddings]).resolve_asset_graph()
    waves = [(p, sorted(k.to_user_string() for k in keys))
             for p, keys in run_waves(graph, set(graph.materializable_asset_keys))]
    assert waves == [(False, ["reference"]), (True, ["events", "marts"]), (False, ["model"]), (True, ["embeddings"])]


def test_a_multi_asset_split_over_runs_runs_once_in_its_last_where_nothing_needs_it_sooner():
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01")

    @dg.asset
    def policy(): ...

    @dg.asset(deps=[policy], partitions_def=daily)
    def embeddings(): ...

    @dg.asset(deps=[embeddings])
    def segments(): ...

    @dg.multi_asset(specs=[dg.AssetSpec("policy_mart", deps=[policy]), dg.AssetSpec("segment_mart", deps=[segments]),
                           dg.AssetSpec("needed_mart", deps=[policy])], can_subset=True)
    def marts(): ...

    @dg.asset(deps=["needed_mart"], partitions_def=daily)
    def reads_needed_mart(): ...

    graph = dg.Definitions(assets=[policy, embeddings, segments, marts, reads_needed_mart]).resolve_asset_graph()
    waves = [sorted(k.to_user_string() for k in keys) for _, keys in run_waves(graph, set(graph.materializable_asset_keys))]
    # policy_mart could run with policy, but waits for segment_mart: one execution of the multi-asset, not two;
    # needed_mart cannot wait, a partitioned asset of the next run reads it.
    assert waves == [["needed_mart", "policy"], ["embeddings", "reads_needed_mart"], ["policy_mart", "segment_mart",
                                                                                     "segments"]]
