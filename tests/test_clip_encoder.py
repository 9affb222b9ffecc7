"""The real open_clip code path with random weights: plumbing (shapes, batching, caching), not meaning."""

import logging

import numpy as np
import pytest
import torch

from surveil.config import ClipConfig
from surveil.vision.clip import ClipEncoder
from surveil.vision.clip_weights import ClipUnavailable, clip_state

MODEL = "ViT-S-32"  # the smallest open_clip architecture that builds quickly


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return ClipEncoder.random_weights(MODEL, text_cache=tmp_path_factory.mktemp("text-cache"))


def _crops(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(0, 255, (40 + 7 * i, 20 + 5 * i, 3), dtype=np.uint8) for i in range(n)]


def test_text_and_image_embeddings_are_normalised_rows(encoder):
    text = encoder.encode_text(["a person climbing a fence", "a red van", "a dog"])
    images = encoder.encode_images(_crops(5))
    assert text.shape[0] == 3 and images.shape[0] == 5 and text.shape[1] == images.shape[1] == encoder.dim
    assert np.allclose(np.linalg.norm(text, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(images, axis=1), 1, atol=1e-5)
    assert text.dtype == images.dtype == np.float32


def test_batches_give_the_same_embeddings_as_single_crops(encoder):
    crops = _crops(35)  # more than one batch of 32
    together = encoder.encode_images(crops)
    alone = np.concatenate([encoder.encode_images([c]) for c in crops[30:]])
    assert together.shape[0] == 35
    assert np.allclose(together[30:], alone, atol=1e-4)


def test_text_embeddings_are_cached_in_memory_and_on_disk(encoder, tmp_path):
    calls = []
    real = encoder.model.encode_text

    def counting(tokens):
        calls.append(len(tokens))
        return real(tokens)

    encoder.model.encode_text = counting
    try:
        first = encoder.encode_text(["a ladder against a wall"])
        again = encoder.encode_text(["a ladder against a wall", "a ladder against a wall"])
        assert calls == [1] and np.array_equal(first[0], again[1])
        fresh = ClipEncoder(encoder.model, encoder.preprocess, encoder.tokenizer, encoder.key,
                            encoder._text_cache.parent)
        assert np.array_equal(fresh.encode_text(["a ladder against a wall"])[0], first[0])
        assert calls == [1], "the new instance read the disk cache instead of the model"
    finally:
        encoder.model.encode_text = real


def test_a_prompt_too_long_for_the_tokenizer_warns_naming_the_rule(encoder, caplog):
    long_prompt = " ".join(["a person in a yellow high visibility jacket carrying a ladder"] * 12)
    with caplog.at_level(logging.WARNING):
        row = encoder.encode_text([long_prompt], owner="ladder thief")
    assert row.shape[0] == 1
    assert "rule ladder thief" in caplog.text and "CLIP reads only the first 77" in caplog.text


def test_without_weights_clip_is_unavailable_with_a_reason(tmp_path):
    config = ClipConfig()  # ViT-B-32 / laion2b_s34b_b79k: a real tag, never downloaded here
    assert clip_state(config, tmp_path).state == "downloadable"
    with pytest.raises(ClipUnavailable, match="not in the model cache: run `surveil models download`"):
        ClipEncoder.load(config, tmp_path)
    with pytest.raises(ClipUnavailable, match="checkpoint file not found"):
        ClipEncoder.load(ClipConfig(model=MODEL, checkpoint=tmp_path / "nope.pt"), tmp_path)
    assert "no pretrained tag 'bogus'" in clip_state(ClipConfig(pretrained="bogus"), tmp_path).detail
    assert "no model 'ViT-Q-99'" in clip_state(ClipConfig(model="ViT-Q-99"), tmp_path).detail


def test_a_local_checkpoint_file_loads_through_open_clip(encoder, tmp_path):
    path = tmp_path / "clip.pt"
    torch.save(encoder.model.state_dict(), path)
    loaded = ClipEncoder.load(ClipConfig(model=MODEL, checkpoint=path), tmp_path)
    crops = _crops(2)
    assert np.allclose(loaded.encode_images(crops), encoder.encode_images(crops), atol=1e-5)
    assert loaded.logit_scale == pytest.approx(encoder.logit_scale)


def test_a_corrupt_checkpoint_is_unavailable_not_a_crash(tmp_path):
    path = tmp_path / "clip.pt"
    path.write_bytes(b"not a checkpoint" * 100)
    with pytest.raises(ClipUnavailable, match="cannot load CLIP weights"):
        ClipEncoder.load(ClipConfig(model=MODEL, checkpoint=path), tmp_path)
