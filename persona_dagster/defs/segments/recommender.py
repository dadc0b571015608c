"""The adoption recommender as an asset: knobs chosen on the last days, refit on every day, published."""

import datetime as dt
import tempfile
from dataclasses import asdict
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import retrain_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.partitions import DUCKDB_POOL
from persona_dagster.defs.resources import MLflowResource, ModelStoreResource
from persona_dagster.defs.segments.config import RecommenderConfig
from persona_dagster.warehouse.segment_inputs import adoption, daily_service_usage
from persona_dagster.defs.sessionbert.assets import EMBEDDING_MODEL, user_embeddings
from persona_dagster.evaluation.protocol import TimeSplit
from persona_dagster.segments.adoption_model import AdoptionInputs, AdoptionKnobs, AdoptionRecommender, NotEnoughHistory
from persona_dagster.segments.adoption_selection import choose_knobs, knob_grid
from persona_dagster.warehouse.embedding_store import stored_session_vectors

ADOPTION = dg.AssetKey(["marts", "user_service_adoption"])
MODEL_NAME = "adoption_recommender"


def _train(inputs: AdoptionInputs, days: list[dt.date], valid_days: int):
    """(model, knobs, validation rows, how): knobs on the last days when there are enough, else defaults or back-off."""
    knobs, search, how = AdoptionKnobs(), [], f"{len(days)} days: too few to validate, default knobs"
    if len(days) >= valid_days + 2:
        # Validation = the last days; the refit on every day then serves the days to come.
        split = TimeSplit(days[-valid_days - 1], days[-1], days[-1] + dt.timedelta(days=1))
        try:
            knobs, search = choose_knobs(inputs, split, knob_grid(with_embedding=len(inputs.vectors.sessions) > 0))
            how = f"knobs chosen on {split.train_end} < day <= {split.valid_end}, refit on every day"
        except NotEnoughHistory as err:
            how = f"no validation possible ({err}); default knobs"
    if knobs.use_embedding and not len(inputs.vectors.sessions):
        knobs = AdoptionKnobs(use_embedding=False)
    try:
        return AdoptionRecommender.fit(inputs, days[-1], knobs), knobs, search, how
    except NotEnoughHistory as err:
        return (AdoptionRecommender.co_use_only(inputs, days[-1]), AdoptionKnobs(use_embedding=False, learned=False), [],
                f"back-off to item co-use and popularity: {err}")


@dg.asset(
    deps=[user_embeddings, ADOPTION], group_name="segments", kinds={"pytorch", "mlflow"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def adoption_recommender(context: dg.AssetExecutionContext, config: RecommenderConfig, warehouse: DuckDBResource,
                         mlflow: MLflowResource, models: ModelStoreResource) -> dg.MaterializeResult:
    """Recommender of services a user takes up next: SessionBERT vectors + usage, knobs chosen on the last days."""
    encoder = models.current(EMBEDDING_MODEL)
    with warehouse.get_connection() as con:
        inputs = AdoptionInputs(daily_service_usage(con), adoption(con), stored_session_vectors(con, encoder.version))
    days = inputs.days()
    if not days:
        raise dg.Failure("the adoption recommender has no service usage to learn from: load some days first")
    model, knobs, search, how = _train(inputs, days, config.valid_days)
    context.log.info(how)
    with tempfile.TemporaryDirectory() as tmp:
        stored = models.publish(model.save(Path(tmp)), MODEL_NAME,
                                extra={"sessionbert_version": encoder.version, "trained_until": days[-1].isoformat()})
    with mlflow.start_run("segments", run_name=MODEL_NAME, tags={"asset": MODEL_NAME}):
        import mlflow as ml

        ml.log_params({**asdict(knobs), "days": len(days), "sessionbert_version": encoder.version})
        if search:
            ml.log_metrics({"valid_hit_at_5": max(r["valid_hit@5"] for r in search)})
        ml.log_artifacts(str(stored.path), MODEL_NAME)
    return dg.MaterializeResult(metadata={
        "version": stored.version, "chosen_knobs": dg.MetadataValue.json(asdict(knobs)),
        "validation": table([{k: v for k, v in r.items() if k not in ("epochs", "lr", "seed")} for r in search]),
        "how_trained": how, "services": len(model.services),
    })
