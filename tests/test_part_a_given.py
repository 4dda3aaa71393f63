"""Part A's given code: setup_part_a, the IF-compatible pipelines (tiny, mini, DeepFloyd), prompts, images, masks."""

from __future__ import annotations

import pytest
import torch

from assignment import if_models, images, masks, prompts
from assignment.part_a_setup import GIVEN_NAMES, make_strided_timesteps, setup_part_a
from solutions import part_a


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_setup_part_a_returns_exactly_the_given_names():
    given = setup_part_a("tiny", device="cpu")
    assert set(given) == set(GIVEN_NAMES)
    assert given["strided_timesteps"][:3] == [990, 960, 930] and given["strided_timesteps"][-1] == 0
    assert len(given["strided_timesteps"]) == 34
    assert given["device"] == torch.device("cpu")
    assert "" in given["prompt_embeds_dict"] and "a high quality photo" in given["prompt_embeds_dict"]


def test_setup_part_a_rejects_unknown_models():
    with pytest.raises(ValueError, match="mini"):
        setup_part_a("stable-diffusion", device="cpu")


def test_tiny_pipeline_has_ifs_interface_and_scheduler():
    pipe = if_models.make_tiny_if_pipeline(seed=0)
    cfg = pipe.unet.config
    assert (cfg.in_channels, cfg.out_channels) == (3, 6)
    assert cfg.encoder_hid_dim_type == "text_proj" and cfg.addition_embed_type == "text"
    sched = pipe.scheduler.config
    assert (sched.num_train_timesteps, sched.beta_schedule, sched.variance_type) == (1000, "squaredcos_cap_v2", "learned_range")
    out = pipe.unet(torch.randn(2, 3, 16, 16), 500, encoder_hidden_states=torch.randn(2, 4, 16)).sample
    assert out.shape == (2, 6, 16, 16)


def test_tiny_pipeline_weights_are_fixed_by_the_seed():
    a, b, c = (if_models.make_tiny_if_pipeline(seed=s).unet.state_dict() for s in (0, 0, 1))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_tiny_pipeline_round_trips_through_save_and_from_pretrained(tmp_path):
    pipe = if_models.make_tiny_if_pipeline(seed=3)
    pipe.save_pretrained(tmp_path)
    assert (tmp_path / "model_index.json").exists() and (tmp_path / "unet" / "diffusion_pytorch_model.safetensors").exists()
    loaded = if_models.load_pipeline(tmp_path, device="cpu")
    assert type(loaded).__name__ == "IFPipeline" and loaded.text_encoder is None
    x, e = torch.randn(1, 3, 16, 16), torch.randn(1, 4, 16)
    with torch.no_grad():
        torch.testing.assert_close(loaded.unet(x, 250, encoder_hidden_states=e).sample,
                                   pipe.unet(x, 250, encoder_hidden_states=e).sample)
    torch.testing.assert_close(loaded.scheduler.alphas_cumprod, pipe.scheduler.alphas_cumprod)


def test_deepfloyd_without_weights_explains_the_licence_and_login(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(if_models.DeepFloydWeightsMissing, match="licence") as info:
        if_models.load_stage_1(device="cpu")
    assert "huggingface-cli login" in str(info.value)


def test_prompt_embeddings_are_fixed_and_round_trip(tmp_path):
    a = prompts.mini_prompt_embedding("a photo of the digit 3")
    torch.testing.assert_close(a, prompts.mini_prompt_embedding("a photo of the digit 3"))
    assert a.shape == (1, prompts.MINI_TOKENS, prompts.MINI_EMBED_DIM)
    assert not torch.allclose(a, prompts.mini_prompt_embedding("a photo of the digit 8"))
    path = prompts.save_prompt_embeds({"": a, "x": a * 2}, tmp_path / "e.safetensors")
    back = prompts.load_prompt_embeds(path)
    torch.testing.assert_close(back[""], a)
    torch.testing.assert_close(back["x"], a * 2)


def test_shipped_prompt_embeddings_match_their_seeded_definition():
    shipped = prompts.load_prompt_embeds(prompts.MINI_PROMPT_EMBEDS_PATH)
    assert set(shipped) == set(prompts.MINI_PROMPTS)
    for prompt, tensor in shipped.items():
        torch.testing.assert_close(tensor, prompts.mini_prompt_embedding(prompt))


def test_load_image_gives_model_sized_images_in_model_range():
    im = images.load_image(images.TEST_IMAGE_PATH, 32)
    assert im.shape == (1, 3, 32, 32) and im.dtype == torch.float32
    assert im.min().item() >= -1 and im.max().item() <= 1 and im.min().item() < -0.9 and im.max().item() > 0.9
    assert images.load_image(images.TEST_IMAGE_PATH, 64).shape == (1, 3, 64, 64)
    hwc = images.to_hwc_numpy(im)
    assert hwc.shape == (32, 32, 3) and 0 <= hwc.min() and hwc.max() <= 1


def test_save_then_load_image_round_trips_to_8_bits(tmp_path):
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    back = images.load_image(images.save_image(x, tmp_path / "x.png"), 32)
    assert (back - x).abs().max().item() <= 2 / 255 + 1e-6


def test_masks_are_binary_and_validated():
    m = masks.rectangle_mask(32, 4, 4, 12, 24)
    assert m.shape == (1, 1, 32, 32) and m.sum().item() == 12 * 24
    shipped = masks.load_mask(images.TEST_MASK_PATH, 32)
    torch.testing.assert_close(shipped, m)
    image = torch.zeros(2, 3, 32, 32)
    assert masks.check_mask(m[0, 0], image).shape == (32, 32)
    with pytest.raises(ValueError, match="binary"):
        masks.check_mask(m * 0.5, image)
    with pytest.raises(ValueError, match="shape"):
        masks.check_mask(torch.ones(3, 2, 1, 32, 32), image)


def test_strided_timesteps_are_the_courses():
    assert make_strided_timesteps() == list(range(990, -1, -30))


@pytest.mark.skipif(not (if_models.MINI_IF_PATH / "model_index.json").exists(), reason="mini model not built")
def test_mini_model_loads_like_deepfloyd_and_draws_the_prompted_digit():
    from assignment.classifier import load_classifier

    given = setup_part_a("mini", device="cpu")
    stage_1, e = given["stage_1"], given["prompt_embeds_dict"]
    assert stage_1.unet.config.sample_size == 32 and stage_1.unet.dtype == torch.float32
    assert e[""].shape == (1, prompts.MINI_TOKENS, prompts.MINI_EMBED_DIM)
    part_a.bind(**given)
    torch.manual_seed(0)
    samples = part_a.iterative_denoise_cfg(torch.randn(8, 3, 32, 32), 0, e[prompts.digit_prompt(3)], e[""],
                                           given["strided_timesteps"])
    grey = ((samples + 1) / 2).clamp(0, 1).amax(1, keepdim=True)[..., 2:30, 2:30]
    predicted = load_classifier()(grey).argmax(1)
    assert (predicted == 3).float().mean().item() >= 0.5, f"classifier read {predicted.tolist()} for 'digit 3'"


@pytest.mark.gpu
def test_mini_model_runs_in_half_precision_on_the_gpu():
    given = setup_part_a("mini", device="cuda")
    part_a.bind(**given)
    x = torch.randn(2, 3, 32, 32, device="cuda").half()
    out = part_a.iterative_denoise_cfg(x, 20, given["prompt_embeds_dict"]["a high quality photo"].half(),
                                       given["prompt_embeds_dict"][""].half(), given["strided_timesteps"])
    assert out.dtype == torch.float16 and torch.isfinite(out).all()
