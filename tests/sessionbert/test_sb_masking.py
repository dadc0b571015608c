"""MLM masking: 15% of real tokens, 80/10/10, never special or padding, deterministic per seed."""

import torch

from persona_dagster.sessionbert.masking import IGNORE_INDEX, MaskingSpec, mask_tokens

VOCAB = 1000
SPECIAL = torch.arange(10)  # 0 = pad, 1..9 other specials
MASK_ID = 4


def _spec() -> MaskingSpec:
    return MaskingSpec(mask_id=MASK_ID, special_ids=SPECIAL, replacement_ids=torch.arange(10, VOCAB))


def _batch(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, VOCAB, (512, 256), generator=g)
    ids[:, 0] = 2  # [CLS]
    ids[:, ::7] = 3  # sprinkled separators
    lengths = torch.randint(8, 257, (512,), generator=g)
    ids[torch.arange(256) >= lengths[:, None]] = 0  # right padding
    return ids


def test_masking_rates_and_split():
    ids = _batch()
    inputs, labels = mask_tokens(ids, _spec(), torch.Generator().manual_seed(1))
    eligible = ~torch.isin(ids, SPECIAL)
    selected = labels != IGNORE_INDEX
    rate = selected.sum().item() / eligible.sum().item()
    assert abs(rate - 0.15) < 0.005
    assert torch.equal(labels[selected], ids[selected])
    n = selected.sum().item()
    masked = (inputs[selected] == MASK_ID).sum().item() / n
    kept = (inputs[selected] == ids[selected]).sum().item() / n
    replaced = 1 - masked - kept
    assert abs(masked - 0.8) < 0.01
    assert abs(kept - 0.1) < 0.01  # includes the ~1/990 random draws that hit the original token
    assert abs(replaced - 0.1) < 0.01


def test_never_masks_special_or_padding_and_never_injects_specials():
    ids = _batch()
    inputs, labels = mask_tokens(ids, _spec(), torch.Generator().manual_seed(2))
    special_positions = torch.isin(ids, SPECIAL)
    assert (labels[special_positions] == IGNORE_INDEX).all()
    assert torch.equal(inputs[special_positions], ids[special_positions])
    changed = inputs != ids
    assert not torch.isin(inputs[changed & (inputs != MASK_ID)], SPECIAL).any()


def test_same_seed_same_masks():
    ids = _batch()
    a = mask_tokens(ids, _spec(), torch.Generator().manual_seed(3))
    b = mask_tokens(ids, _spec(), torch.Generator().manual_seed(3))
    c = mask_tokens(ids, _spec(), torch.Generator().manual_seed(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
