"""User segments, persona map, persona assignments, new-service recommendations and their evaluation."""
