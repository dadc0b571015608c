"""Evidence-grounded multi-persona induction: intent memories, memory clusters, persona quality, groupwise DPO."""
