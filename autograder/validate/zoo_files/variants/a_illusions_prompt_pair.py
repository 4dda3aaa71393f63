"""the anagram takes both prompts as one pair, the hybrid as one dict keyed "p1"/"p2" (one parameter, prompt_embeds)"""

PART = 'a'
ORIGIN = ("submissions whose illusions take `prompt_embeds` holding both prompts — unpacked as `p1, p2 = prompt_embeds` "
          "or read as `prompt_embeds['p1']`, `prompt_embeds['p2']` — and then the course's remaining parameters")
IN = ['make_flip_illusion', 'make_hybrids']
REPLACE = [
    ('def make_flip_illusion(image: torch.Tensor, i_start: int, prompt_embeds_1: torch.Tensor, prompt_embeds_2: torch.Tensor,\n',
     'def make_flip_illusion(image: torch.Tensor, i_start: int, prompt_embeds,\n'),
    ('    p1 = _check_embeds(prompt_embeds_1, image, "prompt_embeds_1")\n'
     '    p2 = _check_embeds(prompt_embeds_2, image, "prompt_embeds_2")\n'
     '    uncond = _check_embeds(uncond_prompt_embeds, image, "uncond_prompt_embeds")\n'
     '    embeds = torch.cat([p1, p2, uncond, uncond])',
     '    prompt_embeds_1, prompt_embeds_2 = prompt_embeds\n'
     '    p1 = _check_embeds(prompt_embeds_1, image, "prompt_embeds_1")\n'
     '    p2 = _check_embeds(prompt_embeds_2, image, "prompt_embeds_2")\n'
     '    uncond = _check_embeds(uncond_prompt_embeds, image, "uncond_prompt_embeds")\n'
     '    embeds = torch.cat([p1, p2, uncond, uncond])'),
    ('def make_hybrids(image: torch.Tensor, i_start: int, prompt_embeds_1: torch.Tensor, prompt_embeds_2: torch.Tensor,\n',
     'def make_hybrids(image: torch.Tensor, i_start: int, prompt_embeds,\n'),
    ('    p1 = _check_embeds(prompt_embeds_1, image, "prompt_embeds_1")\n'
     '    p2 = _check_embeds(prompt_embeds_2, image, "prompt_embeds_2")\n'
     '    uncond = _check_embeds(uncond_prompt_embeds, image, "uncond_prompt_embeds")\n'
     '    embeds = torch.cat([p1, p2, uncond])',
     '    p1 = _check_embeds(prompt_embeds["p1"], image, "prompt_embeds_1")\n'
     '    p2 = _check_embeds(prompt_embeds["p2"], image, "prompt_embeds_2")\n'
     '    uncond = _check_embeds(uncond_prompt_embeds, image, "uncond_prompt_embeds")\n'
     '    embeds = torch.cat([p1, p2, uncond])'),
]
