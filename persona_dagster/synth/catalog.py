"""The synthetic cloud console: services and their pages, tasks over pages, personas over tasks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property

from persona_dagster.events.schema import BILLING_TIERS

Activity = tuple[str, str]  # (service, page)

# Every user knows these from day one, so they never count as an adoption.
BASE_SERVICES: tuple[str, ...] = ("console-home", "docs")

SERVICES: dict[str, tuple[str, ...]] = {
    "console-home": ("overview", "search", "notifications", "recent-visits", "favorites"),
    "docs": ("home", "search", "getting-started", "tutorials", "api-reference", "faq", "release-notes"),
    "ecs": ("overview", "instances", "create-instance", "instance-detail", "snapshots", "security-groups", "images"),
    "vpc": ("overview", "vpcs", "create-vpc", "vswitches", "route-tables", "nat-gateways", "vpn-gateways"),
    "eip": ("overview", "addresses", "allocate", "bind"),
    "slb": ("overview", "instances", "create-instance", "listeners", "backend-servers", "certificates"),
    "cen": ("overview", "instances", "attach-network", "bandwidth-packages", "route-maps"),
    "cdn": ("overview", "domains", "add-domain", "cache-rules", "refresh", "usage"),
    "dns": ("overview", "domains", "records", "add-record", "resolution-logs"),
    "oss": ("overview", "buckets", "create-bucket", "bucket-detail", "lifecycle-rules", "access-logs"),
    "nas": ("overview", "file-systems", "create-file-system", "mount-targets", "snapshots"),
    "rds": ("overview", "instances", "create-instance", "instance-detail", "backups", "parameters", "slow-queries"),
    "polardb": ("overview", "clusters", "create-cluster", "cluster-detail", "backups", "endpoints"),
    "redis": ("overview", "instances", "create-instance", "instance-detail", "monitoring"),
    "dts": ("overview", "migration-tasks", "create-task", "sync-tasks", "task-detail"),
    "kubernetes": ("overview", "clusters", "create-cluster", "cluster-detail", "workloads", "node-pools", "helm"),
    "container-registry": ("overview", "repositories", "create-repository", "image-tags", "build-rules"),
    "function-compute": ("overview", "functions", "create-function", "function-detail", "triggers", "logs"),
    "ros": ("overview", "stacks", "create-stack", "templates", "stack-detail"),
    "cloudmonitor": ("overview", "dashboards", "metrics", "alarm-rules", "create-alarm", "event-monitoring"),
    "log-service": ("overview", "projects", "logstores", "search", "dashboards", "alerts"),
    "actiontrail": ("overview", "event-history", "trails", "create-trail", "insights"),
    "iam": ("overview", "users", "create-user", "roles", "policies", "create-policy", "access-keys"),
    "kms": ("overview", "keys", "create-key", "secrets", "key-rotation"),
    "waf": ("overview", "protected-sites", "rules", "attack-logs", "bot-management", "ip-blacklist"),
    "security-center": ("overview", "vulnerabilities", "alerts", "baseline-checks", "compliance"),
    "certificates": ("overview", "certificates", "purchase", "upload", "deploy"),
    "billing": ("overview", "bills", "invoices", "payment-methods", "budgets", "orders"),
    "cost-explorer": ("overview", "cost-analysis", "reports", "forecasts", "savings-plans"),
    "resource-manager": ("overview", "resource-groups", "tags", "accounts", "quotas"),
    "dataworks": (
        "overview", "workspaces", "data-integration", "data-development", "scheduling", "data-map", "operations-center",
    ),
    "maxcompute": ("overview", "projects", "sql-editor", "jobs", "tables", "quotas"),
    "quickbi": ("overview", "datasets", "dashboards", "create-dashboard", "reports"),
    "elasticsearch": ("overview", "clusters", "create-cluster", "kibana", "indices"),
    "pai": (
        "overview", "notebooks", "create-notebook", "training-jobs", "create-training-job", "models", "deploy-service",
    ),
    "model-studio": ("overview", "models", "playground", "api-keys", "usage"),
    "support": ("overview", "tickets", "create-ticket", "ticket-detail", "health-status"),
    "marketplace": ("overview", "search", "product-detail", "subscribe", "my-subscriptions"),
}


def _steps(spec: str) -> tuple[Activity, ...]:
    """'svc;page svc;page ...' -> ((svc, page), ...): keeps the task table readable."""
    return tuple(tuple(step.split(";", 1)) for step in spec.split())  # type: ignore[misc]


# Each task is the usual order of pages for one job; an activity belongs to at most one task.
TASKS: dict[str, tuple[Activity, ...]] = {
    "monitor_resources": _steps(
        "cloudmonitor;dashboards cloudmonitor;metrics cloudmonitor;alarm-rules cloudmonitor;create-alarm"
        " log-service;dashboards"
    ),
    "troubleshoot_incident": _steps(
        "cloudmonitor;event-monitoring log-service;search log-service;logstores ecs;instance-detail"
        " support;create-ticket support;ticket-detail"
    ),
    "setup_environment": _steps(
        "ros;templates ros;create-stack ros;stack-detail vpc;vswitches ecs;create-instance ecs;security-groups"
        " ecs;instances"
    ),
    "deploy_containers": _steps(
        "container-registry;repositories container-registry;build-rules container-registry;image-tags"
        " kubernetes;clusters kubernetes;workloads kubernetes;node-pools slb;listeners"
    ),
    "build_serverless_app": _steps(
        "function-compute;functions function-compute;create-function function-compute;function-detail"
        " function-compute;triggers oss;buckets function-compute;logs"
    ),
    "store_files": _steps(
        "oss;create-bucket oss;lifecycle-rules nas;file-systems nas;create-file-system nas;snapshots"
    ),
    "review_costs": _steps(
        "billing;bills cost-explorer;cost-analysis cost-explorer;reports cost-explorer;forecasts billing;orders"
    ),
    "manage_budgets": _steps(
        "billing;budgets cost-explorer;savings-plans resource-manager;resource-groups resource-manager;tags"
        " billing;invoices billing;payment-methods"
    ),
    "manage_access": _steps(
        "iam;users iam;create-user iam;roles iam;policies iam;create-policy iam;access-keys kms;secrets"
    ),
    "audit_security": _steps(
        "actiontrail;event-history actiontrail;insights security-center;alerts security-center;vulnerabilities"
        " security-center;baseline-checks security-center;compliance"
    ),
    "protect_web_apps": _steps(
        "waf;protected-sites waf;rules waf;attack-logs waf;ip-blacklist certificates;certificates certificates;deploy"
    ),
    "configure_network": _steps(
        "vpc;vpcs vpc;create-vpc vpc;route-tables vpc;nat-gateways eip;allocate eip;bind cen;attach-network"
    ),
    "deliver_content": _steps(
        "dns;domains dns;records dns;add-record cdn;domains cdn;add-domain cdn;cache-rules cdn;refresh"
    ),
    "manage_databases": _steps(
        "rds;instances rds;instance-detail rds;parameters rds;slow-queries redis;instances redis;monitoring"
    ),
    "migrate_databases": _steps(
        "dts;create-task dts;migration-tasks dts;task-detail rds;backups polardb;clusters polardb;cluster-detail"
    ),
    "build_data_pipeline": _steps(
        "dataworks;workspaces dataworks;data-integration dataworks;data-development dataworks;scheduling"
        " maxcompute;tables dataworks;operations-center"
    ),
    "analyze_data": _steps(
        "maxcompute;sql-editor maxcompute;jobs quickbi;datasets quickbi;dashboards quickbi;create-dashboard"
        " elasticsearch;kibana"
    ),
    "train_ml_model": _steps(
        "pai;notebooks pai;create-notebook oss;bucket-detail nas;mount-targets pai;create-training-job"
        " pai;training-jobs pai;models"
    ),
    "deploy_ml_model": _steps(
        "pai;deploy-service model-studio;models model-studio;playground model-studio;api-keys model-studio;usage"
    ),
    "explore_services": _steps(
        "docs;getting-started marketplace;search marketplace;product-detail docs;tutorials marketplace;subscribe"
    ),
}


# One line per service, as a console's product page would put it: the text rec3 (description
# similarity) compares. Written from what each product does, not from the tasks that use it.
SERVICE_DESCRIPTIONS: dict[str, str] = {
    "console-home": "Start page of the console: recent visits, favourites, notifications and search across products.",
    "docs": "Product documentation: getting started guides, tutorials, API reference, FAQ and release notes.",
    "ecs": "Elastic compute: virtual machine instances with images, snapshots and security groups.",
    "vpc": "Virtual private cloud: isolated networks with subnets, route tables, NAT and VPN gateways.",
    "eip": "Elastic public IP addresses that can be allocated and bound to instances and gateways.",
    "slb": "Server load balancer: spreads traffic across backend servers with listeners and TLS certificates.",
    "cen": "Cloud enterprise network: connects networks across regions with bandwidth packages and route maps.",
    "cdn": "Content delivery network: caches website content at edge nodes, with cache rules and refresh.",
    "dns": "Domain name resolution: domains, DNS records and resolution logs.",
    "oss": "Object storage: buckets of files with lifecycle rules and access logs.",
    "nas": "Network attached file storage: shared file systems mounted by compute instances.",
    "rds": "Managed relational database instances with backups, parameters and slow query analysis.",
    "polardb": "Cloud-native relational database clusters with shared storage, endpoints and backups.",
    "redis": "Managed in-memory key-value cache and database instances with monitoring.",
    "dts": "Data transmission: database migration and real-time synchronisation tasks.",
    "kubernetes": "Managed Kubernetes container clusters with node pools, workloads and Helm charts.",
    "container-registry": "Registry for container images: repositories, image tags and automated build rules.",
    "function-compute": "Serverless functions run on triggers, billed per call, with logs.",
    "ros": "Resource orchestration: infrastructure as code stacks created from templates.",
    "cloudmonitor": "Monitoring of cloud resources: metrics, dashboards, alarm rules and event monitoring.",
    "log-service": "Log collection, storage and search: projects, logstores, dashboards and alerts.",
    "actiontrail": "Audit trail of account and API activity: event history, trails and insights.",
    "iam": "Identity and access management: users, roles, policies and access keys.",
    "kms": "Key management: encryption keys and secrets, with rotation and usage audit.",
    "waf": "Web application firewall: protects websites from attacks, with rules, IP blacklists and attack logs.",
    "security-center": "Security posture: vulnerability scans, threat alerts and baseline checks across assets.",
    "certificates": "TLS/SSL certificate management: purchase, upload and deploy certificates to services.",
    "billing": "Bills, payment methods, invoices and account balance.",
    "cost-explorer": "Cost analysis: spending by product and tag, budgets and forecasts.",
    "resource-manager": "Resource groups, tags and accounts that organise cloud resources.",
    "dataworks": "Data development and orchestration: scheduled data pipelines, data integration and governance.",
    "maxcompute": "Data warehouse for batch SQL analytics over large tables.",
    "quickbi": "Business intelligence: dashboards, reports and data visualisation over data sources.",
    "elasticsearch": "Managed Elasticsearch clusters for full-text search and log analytics.",
    "pai": "Machine learning platform: notebooks, training jobs, models and inference services.",
    "model-studio": "Generative AI models: playground, API keys, applications and usage.",
    "support": "Technical support: tickets, service plans and announcements.",
    "marketplace": "Marketplace of third-party software images and SaaS products to search and buy.",
}


@dataclass(frozen=True)
class Persona:
    """A kind of user: the tasks they do (by weight), how common they are, what they tend to spend."""

    name: str
    description: str
    task_weights: Mapping[str, float]
    population_share: float
    billing_tier_weights: Mapping[str, float]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "devops_engineer",
        "Keeps production running: ships container and serverless workloads, watches dashboards and alarms,"
        " and chases incidents down to the instance.",
        {"deploy_containers": 3, "monitor_resources": 3, "troubleshoot_incident": 2, "setup_environment": 1.5,
         "build_serverless_app": 1},
        0.18,
        {"Low": 0.10, "Medium": 0.35, "High": 0.40, "Very High": 0.15},
    ),
    Persona(
        "finops_manager",
        "Owns the cloud bill: reviews costs and forecasts, sets budgets, savings plans and cost tags,"
        " and keeps an eye on the resources behind spending spikes.",
        {"review_costs": 4, "manage_budgets": 3, "monitor_resources": 1},
        0.08,
        {"Low": 0.05, "Medium": 0.20, "High": 0.40, "Very High": 0.35},
    ),
    Persona(
        "data_engineer",
        "Builds and schedules data pipelines in DataWorks and MaxCompute, queries the warehouse,"
        " and moves files and databases into the lake.",
        {"build_data_pipeline": 4, "analyze_data": 2, "store_files": 1.5, "migrate_databases": 1},
        0.14,
        {"Low": 0.10, "Medium": 0.30, "High": 0.40, "Very High": 0.20},
    ),
    Persona(
        "security_admin",
        "Guards the account: manages users, roles, policies and secrets, audits trails and security alerts,"
        " and protects web applications with WAF rules and certificates.",
        {"manage_access": 3, "audit_security": 3, "protect_web_apps": 2, "troubleshoot_incident": 0.5},
        0.10,
        {"Low": 0.15, "Medium": 0.40, "High": 0.30, "Very High": 0.15},
    ),
    Persona(
        "ml_practitioner",
        "Trains models in PAI notebooks and training jobs on data in OSS and NAS, then deploys and tries"
        " them as services and in Model Studio.",
        {"train_ml_model": 4, "deploy_ml_model": 2.5, "analyze_data": 1, "store_files": 1},
        0.12,
        {"Low": 0.05, "Medium": 0.25, "High": 0.40, "Very High": 0.30},
    ),
    Persona(
        "network_engineer",
        "Designs VPCs, routes, NAT and elastic IPs, connects networks, and runs DNS and CDN delivery"
        " behind the firewall.",
        {"configure_network": 4, "deliver_content": 3, "protect_web_apps": 1, "monitor_resources": 1},
        0.10,
        {"Low": 0.15, "Medium": 0.40, "High": 0.30, "Very High": 0.15},
    ),
    Persona(
        "database_admin",
        "Runs RDS, Redis and PolarDB: tunes parameters and slow queries, takes backups, migrates databases,"
        " and watches their metrics.",
        {"manage_databases": 4, "migrate_databases": 3, "monitor_resources": 1.5, "troubleshoot_incident": 1},
        0.10,
        {"Low": 0.10, "Medium": 0.35, "High": 0.40, "Very High": 0.15},
    ),
    Persona(
        "newcomer",
        "New to the cloud: reads getting-started guides, browses the marketplace, and tries a first server,"
        " bucket or function while checking what it costs.",
        {"explore_services": 4, "setup_environment": 2, "store_files": 1.5, "build_serverless_app": 1,
         "review_costs": 0.5},
        0.18,
        {"Low": 0.70, "Medium": 0.25, "High": 0.05, "Very High": 0.0},
    ),
)

_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_CREATE_PAGE = re.compile(r"^(create|add)-|^(allocate|purchase|subscribe|upload)$")
# Pages where people change settings rather than read them.
_EDIT_PAGES = frozenset({
    "alarm-rules", "attach-network", "bind", "budgets", "build-rules", "cache-rules", "data-development", "deploy",
    "deploy-service", "ip-blacklist", "key-rotation", "lifecycle-rules", "listeners", "parameters", "payment-methods",
    "playground", "policies", "records", "refresh", "route-tables", "rules", "scheduling", "security-groups",
    "sql-editor", "tags", "triggers",
})


class CatalogError(ValueError):
    """The catalog breaks one of its rules (named in the message)."""


def page_kind(page: str) -> str:
    """'create', 'edit' or 'view': decides which actions a click on the page can carry."""
    if _CREATE_PAGE.search(page):
        return "create"
    return "edit" if page in _EDIT_PAGES else "view"


@dataclass(frozen=True)
class Catalog:
    """Services, tasks and personas, with the derived lookups the generator and pipeline need."""

    services: Mapping[str, tuple[str, ...]]
    tasks: Mapping[str, tuple[Activity, ...]]
    personas: tuple[Persona, ...]
    base_services: tuple[str, ...] = BASE_SERVICES
    service_descriptions: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def activity_task(self) -> dict[Activity, str]:
        """The many-to-one activity -> task map (activities of no task are absent)."""
        return {step: task for task, steps in self.tasks.items() for step in steps}

    @cached_property
    def persona_by_name(self) -> dict[str, Persona]:
        return {p.name: p for p in self.personas}

    def task_services(self, task: str) -> tuple[str, ...]:
        """The services a task touches, in the order it first reaches them."""
        return tuple(dict.fromkeys(service for service, _ in self.tasks[task]))

    @cached_property
    def _services_of_persona(self) -> dict[str, frozenset[str]]:
        return {
            p.name: frozenset(s for task in p.task_weights for s in self.task_services(task)) for p in self.personas
        }

    def persona_services(self, persona: str) -> frozenset[str]:
        """Every service any task of the persona touches."""
        return self._services_of_persona[persona]

    def activity_task_rows(self) -> list[dict[str, str]]:
        """Rows of reference/activity_tasks.csv: service, page, task."""
        return [{"service": s, "page": p, "task": t} for (s, p), t in self.activity_task.items()]

    def persona_task_rows(self) -> list[dict[str, object]]:
        """Rows of reference/persona_tasks.csv: persona, task, weight."""
        return [
            {"persona": p.name, "task": task, "weight": float(w)}
            for p in self.personas
            for task, w in p.task_weights.items()
        ]

    def service_rows(self) -> list[dict[str, str]]:
        """Rows of reference/services.csv: service, description (services without one are left out)."""
        return [{"service": s, "description": self.service_descriptions[s]}
                for s in self.services if s in self.service_descriptions]

    def persona_rows(self) -> list[dict[str, str]]:
        """Rows of reference/personas.csv: persona, description."""
        return [{"persona": p.name, "description": p.description} for p in self.personas]


def validate_catalog(catalog: Catalog) -> Catalog:
    """Check the catalog's rules, raising CatalogError that names the offending entry."""
    for service, pages in catalog.services.items():
        if not _SLUG.match(service):
            raise CatalogError(f"service {service!r} is not a lowercase slug")
        if not 4 <= len(pages) <= 8 or len(set(pages)) != len(pages):
            raise CatalogError(f"service {service!r} needs 4-8 distinct pages, has {pages}")
        for page in pages:
            if not _SLUG.match(page):
                raise CatalogError(f"page {service};{page!r} is not a lowercase slug")
    for base in catalog.base_services:
        if base not in catalog.services:
            raise CatalogError(f"base service {base!r} is not a service")
    owner: dict[Activity, str] = {}
    for task, steps in catalog.tasks.items():
        if not steps:
            raise CatalogError(f"task {task!r} has no activities")
        for service, page in steps:
            if page not in catalog.services.get(service, ()):
                raise CatalogError(f"task {task!r} visits unknown activity {service};{page}")
            if (service, page) in owner:
                raise CatalogError(
                    f"activity {service};{page} belongs to both {owner[(service, page)]!r} and {task!r}"
                )
            owner[(service, page)] = task
    names = [p.name for p in catalog.personas]
    if len(set(names)) != len(names):
        raise CatalogError(f"persona names repeat: {names}")
    for persona in catalog.personas:
        if not persona.task_weights or any(w <= 0 for w in persona.task_weights.values()):
            raise CatalogError(f"persona {persona.name!r} needs tasks with positive weights")
        missing = [t for t in persona.task_weights if t not in catalog.tasks]
        if missing:
            raise CatalogError(f"persona {persona.name!r} names unknown tasks {missing}")
        if set(persona.billing_tier_weights) - set(BILLING_TIERS) or sum(persona.billing_tier_weights.values()) <= 0:
            raise CatalogError(f"persona {persona.name!r} billing tiers must be some of {BILLING_TIERS}")
        if persona.population_share <= 0:
            raise CatalogError(f"persona {persona.name!r} needs a positive population share")
    return catalog


@cache
def default_catalog() -> Catalog:
    """The built-in cloud console catalog (validated once)."""
    return validate_catalog(Catalog(services=SERVICES, tasks=TASKS, personas=PERSONAS,
                                    service_descriptions=SERVICE_DESCRIPTIONS))
