"""Persona identification and new-service recommendation: clustering, persona map, assignment, scoring."""
