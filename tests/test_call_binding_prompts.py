"""How the grader binds a Part A illusion's arguments onto a student's parameter list (autograder/child/call_binding.py)."""

from __future__ import annotations

import pytest

from autograder.child import call_binding
from autograder.child.call_binding import PromptPair, SignatureMismatch, bind_call

ASSIGNMENT = [("image", "x"), ("i_start", 1), ("prompt_embeds_1", "p1"), ("prompt_embeds_2", "p2"),
              ("uncond_prompt_embeds", "u"), ("timesteps", [3, 2, 1])]
DISPLAY = "make_flip_illusion(image, i_start, prompt_embeds_1, prompt_embeds_2, uncond_prompt_embeds, timesteps)"


def _call(fn):
    args, kwargs, _ = bind_call(fn, DISPLAY, ASSIGNMENT, {"scale": 7.0, "display": False}, {})
    return fn(*args, **kwargs)


def test_two_prompt_parameters_bind_in_order() -> None:
    def flip(image, i_start, prompt_embeds, prompt_embeds2, uncond_prompt_embeds, timesteps, scale=7):
        return prompt_embeds, prompt_embeds2, uncond_prompt_embeds

    assert _call(flip) == ("p1", "p2", "u")


def test_packed_pair_unpacks_and_answers_digit_keys() -> None:
    def flip(image, i_start, prompt_embeds, uncond_prompt_embeds, timesteps, scale=7, display=True):
        first, second = prompt_embeds
        return first, second, prompt_embeds["p1"], prompt_embeds["prompt_2"], uncond_prompt_embeds, scale

    assert _call(flip) == ("p1", "p2", "p1", "p2", "u", 7.0)


def test_pair_key_without_a_digit_says_what_is_passed() -> None:
    with pytest.raises(KeyError, match="prompt_embeds_1, prompt_embeds_2"):
        PromptPair(("p1", "p2"))["upright"]


def test_unfitting_list_keeps_one_line_naming_the_signature() -> None:
    def flip(image, prompt_embeds, noise_level):
        return image

    with pytest.raises(SignatureMismatch) as caught:
        bind_call(flip, DISPLAY, ASSIGNMENT, {}, {})
    message = str(caught.value)
    assert "\n" not in message and DISPLAY in message
    assert call_binding.PAIR_NAMES  # the packing names are public for the docs
