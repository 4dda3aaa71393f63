"""Part B's flow-matching version graded end to end: a submission written the way the course's flow-matching
notebooks are (no ``num_samples``, images returned alone, ``t`` drawn as ``[N, 1, 1, 1]``, CFG as two UNet calls
through ``mask``, time embeddings multiplied) gets full marks, and the version is told apart by the names defined.
"""

from __future__ import annotations

import ast

import pytest

from autograder.grading import Options, grade
from autograder.groups import DDPM_NAMES, FLOW_NAMES, part_b_version
from autograder.render import render_reference

COURSE_STYLE = '''
@torch.no_grad()
def time_fm_sample(unet, img_wh, num_ts, seed=0):
    unet.eval()
    torch.manual_seed(seed)
    x = torch.randn(8, 1, *img_wh)
    for i in range(num_ts):
        t = torch.full((x.shape[0],), i / num_ts)
        x = x + (1.0 / num_ts) * unet(x, t)
    return x


def time_fm_forward(unet, x_1, num_ts):
    unet.train()
    x_0 = torch.randn_like(x_1)
    t = torch.rand(x_1.shape[0], 1, 1, 1, device=x_1.device)
    x_t = (1 - t) * x_0 + t * x_1
    return torch.nn.functional.mse_loss(unet(x_t, t.flatten()), x_1 - x_0)


def class_fm_forward(unet, x_1, c, p_uncond, num_ts):
    unet.train()
    x_0 = torch.randn_like(x_1)
    t = torch.rand(x_1.shape[0], 1, 1, 1, device=x_1.device)
    mask = (torch.rand(x_1.shape[0], device=x_1.device) > p_uncond).float()
    x_t = (1 - t) * x_0 + t * x_1
    return ((unet(x_t, c, t.flatten(), mask) - (x_1 - x_0)) ** 2).mean()


@torch.no_grad()
def class_fm_sample(unet, c, img_wh, num_ts, guidance_scale=5.0, seed=0):
    unet.eval()
    torch.manual_seed(seed)
    x = torch.randn(len(c), 1, *img_wh)
    for i in range(num_ts):
        t = torch.full((len(c),), i / num_ts)
        u_cond = unet(x, c, t, torch.ones(len(c)))
        u_uncond = unet(x, c, t, torch.zeros(len(c)))
        x = x + (u_uncond + guidance_scale * (u_cond - u_uncond)) / num_ts
    return x


class FlowMatching(nn.Module):
    def __init__(self, unet, num_ts=50, p_uncond=0.1):
        super().__init__()
        self.unet, self.num_ts, self.p_uncond = unet, num_ts, p_uncond

    def forward(self, x, c=None):
        if c is None:
            return time_fm_forward(self.unet, x, self.num_ts)
        return class_fm_forward(self.unet, x, c, self.p_uncond, self.num_ts)

    def sample(self, c=None, img_wh=(28, 28), guidance_scale=5.0, seed=0, num_samples=40):
        if c is None:
            return time_fm_sample(self.unet, img_wh, self.num_ts, seed)
        return class_fm_sample(self.unet, c, img_wh, self.num_ts, guidance_scale, seed)
'''


def _course_style_submission() -> str:
    """The flow-matching reference with its four functions and its module rewritten in the course's style."""
    source = render_reference(("b_fm",))
    replaced = {"time_fm_forward", "class_fm_forward", "time_fm_sample", "class_fm_sample", "FlowMatching"}
    lines = source.split("\n")
    for node in reversed(ast.parse(source).body):
        if getattr(node, "name", None) in replaced:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            del lines[first - 1:node.end_lineno]
    return "\n".join(lines) + "\n" + COURSE_STYLE


def test_course_style_flow_matching_submission_gets_full_marks(tmp_path):
    path = tmp_path / "student_fm.py"
    path.write_text(_course_style_submission())
    report = grade(path, Options(part="b", gpu="off"))
    assert any("flow-matching version" in note for note in report.notes), report.notes
    names = [t.name for t in report.tests]
    assert any(n.startswith("time_fm_sample") for n in names) and not any(n.startswith("ddpm") for n in names)
    assert report.score == report.max_score, [(t.name, t.output) for t in report.tests if not t.passed]


@pytest.mark.parametrize("defined, choice, version", [
    (set(FLOW_NAMES), "auto", "flow"),
    (set(DDPM_NAMES), "auto", "ddpm"),
    (set(), "auto", "ddpm"),
    ({"time_fm_forward", "time_fm_sample", "ddpm_forward"}, "auto", "flow"),
    (set(FLOW_NAMES), "ddpm", "ddpm"),
    (set(DDPM_NAMES), "flow", "flow"),
])
def test_part_b_version_follows_the_names_defined(defined, choice, version):
    assert part_b_version(defined | {"Conv", "UnconditionalUNet"}, choice) == version
