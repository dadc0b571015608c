"""The embedded synthetic clickstream: a cloud console with known personas, tasks and adoptions."""

from persona_dagster.synth.catalog import Catalog, Persona, default_catalog
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.synth.malformed import MALFORMED_KINDS

__all__ = ["Catalog", "MALFORMED_KINDS", "Persona", "SynthConfig", "default_catalog", "generate"]
