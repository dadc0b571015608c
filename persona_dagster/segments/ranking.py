"""Dense user x service scoring helpers shared by the model recommender and the baselines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

UsedServices = Mapping[str, Iterable[str]]


def membership_matrix(users: pd.Index, services: pd.Index, pairs: UsedServices) -> np.ndarray:
    """[user, service] bool: the service is in the user's set; users or services outside the indexes are ignored."""
    flat = [(u, s) for u, used in pairs.items() for s in used]
    matrix = np.zeros((len(users), len(services)), dtype=bool)
    if not flat:
        return matrix
    u_codes = users.get_indexer([u for u, _ in flat])
    s_codes = services.get_indexer([s for _, s in flat])
    keep = (u_codes >= 0) & (s_codes >= 0)
    matrix[u_codes[keep], s_codes[keep]] = True
    return matrix


def top_k_rows(
    users: pd.Index,
    services: pd.Index,
    keys: Sequence[tuple[str, np.ndarray]],
    eligible: np.ndarray,
    k: int,
) -> pd.DataFrame:
    """Per user the k best eligible services, ordered by each (name, [user, service] matrix) key descending, then name.

    Returns rows user_id, rank (1 = best), service, then one column per key, sorted by user and rank.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    shape = (len(users), len(services))
    for name, matrix in (*keys, ("eligible", eligible)):
        if matrix.shape != shape:
            raise ValueError(f"{name} matrix is {matrix.shape}, expected {shape} (users x services)")
    name_rank = np.broadcast_to(np.argsort(np.argsort(services.to_numpy().astype(str))), shape)
    # lexsort's last key is the primary one.
    order = np.lexsort((name_rank, *(-matrix for _, matrix in reversed(keys))), axis=-1)
    kept = np.take_along_axis(eligible, order, axis=1)
    ranks = np.cumsum(kept, axis=1)
    user_pos, slot = np.nonzero(kept & (ranks <= k))
    service_pos = order[user_pos, slot]
    return pd.DataFrame({
        "user_id": users.to_numpy()[user_pos],
        "rank": ranks[user_pos, slot].astype(np.int64),
        "service": services.to_numpy()[service_pos],
        **{name: matrix[user_pos, service_pos] for name, matrix in keys},
    })
