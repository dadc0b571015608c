"""Evidence-grounded persona induction: intent memories, the persona policy (SFT + groupwise DPO), induced personas."""
