"""Open-set identification: match face embeddings against the enrolled people and give
strangers stable provisional IDs. Plain numpy, no Django: the worker, the video command
and the benchmarks share it.

All embeddings are L2-normalised float32 rows, so a dot product is the cosine similarity.
"""

from identity.matching.decisions import Refined, decision_close, refine_face_matches, refine_matches
from identity.matching.gallery import (
    MIN_CANDIDATES,
    REJECTION_LOOKALIKE,
    REJECTION_PENALTY,
    WIDEN,
    Gallery,
    PersonMatch,
)
from identity.matching.strangers import (
    STRANGER_EXAMPLES,
    Assignment,
    StrangerRegistry,
    assign_identities,
    named_once,
    person_display_id,
    person_id_shown,
    similar_pairs,
)

__all__ = [
    "MIN_CANDIDATES", "REJECTION_LOOKALIKE", "REJECTION_PENALTY", "STRANGER_EXAMPLES", "WIDEN", "Assignment",
    "Gallery", "PersonMatch", "Refined", "StrangerRegistry", "assign_identities", "decision_close",
    "named_once", "person_display_id", "person_id_shown", "refine_face_matches", "refine_matches", "similar_pairs",
]
