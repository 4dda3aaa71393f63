"""the anagram and the hybrid take no i_start and always loop from timesteps[0] (course deliverable: start from pure noise)"""

PART = 'a'
ORIGIN = ("submissions defining `visual_anagrams(image, prompt_embeds_1, prompt_embeds_2, uncond_prompt_embeds, "
          "timesteps, scale=7)` and the hybrid alike: no i_start, `for i in range(len(timesteps) - 1)`")
IN = ['make_flip_illusion', 'make_hybrids']
REPLACE = [
    ('    _check_i_start(i_start, timesteps)\n', '    i_start = 0\n', 'each'),
    ('def make_flip_illusion(image: torch.Tensor, i_start: int, prompt_embeds_1',
     'def make_flip_illusion(image: torch.Tensor, prompt_embeds_1'),
    ('def make_hybrids(image: torch.Tensor, i_start: int, prompt_embeds_1', 'def make_hybrids(image: torch.Tensor, prompt_embeds_1'),
]
