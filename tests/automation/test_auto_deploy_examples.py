"""The deploy/ examples stay valid YAML and agree with the single-machine settings they extend."""

import dagster as dg
import yaml

from persona_dagster.settings import DBT_PROJECT_DIR, REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"


def _load(relative: str):
    return yaml.safe_load((DEPLOY / relative).read_text())


def test_every_deploy_yaml_parses():
    files = sorted(DEPLOY.rglob("*.y*ml"))
    assert len(files) >= 4
    for path in files:
        assert isinstance(yaml.safe_load(path.read_text()), dict), path


def test_gpu_step_tags_request_one_gpu_and_attach_to_an_asset_as_op_tags():
    tags = _load("k8s/gpu-step-tags.yaml")
    resources = tags["dagster-k8s/config"]["container_config"]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "1" == resources["requests"]["nvidia.com/gpu"]

    @dg.asset(tags={"persona_dagster/gpu": "true"}, op_tags=tags)
    def trained_model():
        """Stands in for a GPU training asset."""

    job = dg.Definitions(assets=[trained_model], jobs=[dg.define_asset_job("j")]).resolve_job_def("j")
    [node] = job.graph.node_defs
    assert "nvidia.com/gpu" in str(node.tags["dagster-k8s/config"])


def test_dbt_profile_example_keeps_the_local_targets_and_adds_motherduck_databricks_and_postgres():
    example = _load("dbt/profiles.example.yml")["persona_dagster"]["outputs"]
    local = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["persona_dagster"]["outputs"]
    assert example["dev"] == local["dev"]
    assert example["spark"] == local["spark"]
    # Databricks through dbt-spark, so the project's spark__ macros and target.type == 'spark' configs apply.
    assert example["databricks"]["type"] == "spark" and example["databricks"]["method"] == "http"
    assert example["motherduck"]["type"] == "duckdb" and example["motherduck"]["path"].startswith("md:")
    assert example["postgres"]["type"] == "postgres"


def test_helm_values_keep_the_run_queue_policy_of_dagster_yaml():
    helm = _load("helm/values.yaml")["concurrency"]
    local = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())["concurrency"]
    assert helm["pools"]["defaultLimit"] == local["pools"]["default_limit"] == 1
    assert helm["pools"]["granularity"] == local["pools"]["granularity"]
    assert {lim["key"] for lim in helm["runs"]["tagConcurrencyLimits"]} == \
        {lim["key"] for lim in local["runs"]["tag_concurrency_limits"]}
    assert helm["runs"]["maxConcurrentRuns"] >= local["runs"]["max_concurrent_runs"]
