import dagster as dg

from persona_dagster.defs.segments.assets import persona_map, user_segments
from persona_dagster.defs.segments.evaluation import recommendation_evaluation
from persona_dagster.defs.segments.recommender import adoption_recommender
from persona_dagster.defs.segments.serving import persona_assignments, service_recommendations

defs = dg.Definitions(assets=[user_segments, persona_map, persona_assignments, service_recommendations,
                              adoption_recommender, recommendation_evaluation])
