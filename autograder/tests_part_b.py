"""Part B test groups: blocks, the three UNets, add_noise, the schedule, DDPM training and sampling.

Each group's :meth:`plan` builds inputs (shapes chosen by derandomised hypothesis) and computes the
reference's expected values *here*, in the grader's process; the child only receives inputs. Weights and
the public/hidden split are stated per test.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, Callable

import torch
import torch.nn.functional as F

from autograder import strategies
from autograder.child import layers, spies
from autograder.compare import check_tensor, matches_a_draw, max_diff
from autograder.registry import Group, TestSpec, record_or_reason
from autograder.sandbox import ChildRun
from autograder.traces import Verdict, split_trace, verify_sampling, verify_training

MODEL_ATOL = 1e-4  # float32, same weights, same op order up to summation order in convolutions
BLOCKS = ("Conv", "DownConv", "UpConv", "Flatten", "Unflatten", "ConvBlock", "DownBlock", "UpBlock", "FCBlock")
BLOCK_HINTS = {
    "Conv": "Conv2d(k=3, s=1, p=1) → BatchNorm2d → GELU",
    "DownConv": "Conv2d(k=3, s=2, p=1) → BatchNorm2d → GELU",
    "UpConv": "ConvTranspose2d(k=4, s=2, p=1) → BatchNorm2d → GELU",
    "Flatten": "AvgPool2d(7) → GELU",
    "Unflatten": "ConvTranspose2d(k=7, s=7, p=0) → BatchNorm2d → GELU",
    "ConvBlock": "Conv(in, out) → Conv(out, out)",
    "DownBlock": "DownConv(in, out) → ConvBlock(out, out)",
    "UpBlock": "UpConv(in, out) → ConvBlock(out, out)",
    "FCBlock": "Linear(in, out) → GELU → Linear(out, out)",
}


def reference() -> Any:
    """The reference module (imported lazily: only the grader's process ever imports it)."""
    from solutions import part_b

    return part_b


def groups() -> list[Group]:
    """All Part B groups, in report order."""
    return [
        BlocksGroup(), UNetGroup("UnconditionalUNet"), UNetGroup("TimeConditionalUNet"),
        UNetGroup("ClassConditionalUNet"), AddNoiseGroup(), ScheduleGroup(), DDPMTimeGroup(),
        DDPMClassCondGroup(), DDPMModuleGroup(), TrainingGroup(),
    ]


# ------------------------------------------------------------------------------------------- models


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _plan_of(model: torch.nn.Module, args: list[torch.Tensor]) -> list[torch.nn.Module]:
    model.train()
    plan, _ = layers.layer_plan(model, lambda: model(*[a.clone() for a in args]))
    return plan


def _structure_feedback(name: str, got: dict[str, Any], expected: list[str]) -> str:
    sigs = got.get("signatures", [])
    unused = got.get("unused", [])
    if unused:
        return (f"{name} defines layers that its forward pass never uses: {', '.join(unused[:4])} — "
                "a skip connection or a conditioning injection left out?")
    for i, (a, b) in enumerate(zip(expected, sigs)):
        if a != b:
            return f"{name}: layer {i + 1} (in forward order) should be {a}, got {b}"
    if len(sigs) != len(expected):
        missing = expected[len(sigs):][:3] if len(sigs) < len(expected) else sigs[len(expected):][:3]
        word = "missing" if len(sigs) < len(expected) else "extra"
        return f"{name}: {len(sigs)} parametric layers, expected {len(expected)} ({word}: {', '.join(missing)}) — a BatchNorm or a block missing?"
    return ""


class BlocksGroup(Group):
    """Each block against the reference on shared weights, two configurations each."""

    def __init__(self) -> None:
        super().__init__(name="blocks", part="b", probe_module="probes_part_b", probe="run_models", timeout_s=60)
        self.tests = tuple(TestSpec(f"{b}: layers and output match the diagram", 1.0, (b,), public=True) for b in BLOCKS)

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        ref = reference()
        cases, inputs = [], {}
        configs = strategies.examples(strategies.block_channels(), 2)
        for block in BLOCKS:
            for j, (n, cin, cout) in enumerate(configs):
                key = f"{block}_{j}"
                g = _generator(100 + j)
                if block == "Flatten":
                    args, x = [], torch.randn(n, cin, 7, 7, generator=g)
                elif block == "Unflatten":
                    args, x = [cin], torch.randn(n, cin, 1, 1, generator=g)
                elif block == "FCBlock":
                    args, x = [cin, cout], torch.randn(n, cin, generator=g)
                else:
                    size = 8 if block.startswith(("Down", "Up")) else 6
                    args, x = [cin, cout], torch.randn(n, cin, size, size, generator=g)
                torch.manual_seed(7 + j)
                model = getattr(ref, block)(*args)
                plan = _plan_of(model, [x])
                inputs[f"{key}.x"] = x
                for wk, w in layers.plan_weights(plan).items():
                    inputs[f"{key}.{wk}"] = w
                with torch.no_grad():
                    self.expected[key] = (model(x.clone()), layers.plan_signatures(plan))
                cases.append({"key": key, "name": block, "args": args, "calls": [[f"{key}.x"]],
                              "signatures": layers.plan_signatures(plan), "weights": f"{key}."})
        return {"cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        """A block passes when its outputs equal the reference's on shared weights. Its layers' form (an ``F.gelu``
        instead of an ``nn.GELU``, a stride that cannot matter on a 1 × 1 map, a bias BatchNorm cancels) costs
        nothing unless the outputs differ; then the message names the first layer that differs."""
        outcome = {}
        for block, test in zip(BLOCKS, self.tests):
            passed, notes = 0, []
            keys = [k for k in self.expected if k.rsplit("_", 1)[0] == block]
            for key in keys:
                record, why = record_or_reason(run, key)
                if record is None:
                    notes.append(why)
                    continue
                out, sigs = self.expected[key]
                problem = _structure_feedback(block, record.meta, sigs)
                call_error = next(iter(record.meta.get("call_errors", {}).values()), None)
                if call_error:
                    notes.append(f"your {block}'s forward raised {call_error}")
                    continue
                got = record.tensors.get("out_0")
                if got is None:
                    notes.append((problem or f"{block}: the layers' parameter shapes differ from the diagram's")
                                 + f". Expected: {BLOCK_HINTS[block]}.")
                    continue
                ok, message = check_tensor(got, out, f"{block} output", MODEL_ATOL)
                if ok:
                    passed += 1
                elif problem:
                    notes.append(f"{problem}, and the outputs differ on the same weights ({message}). Expected: {BLOCK_HINTS[block]}.")
                else:
                    notes.append(message + f" — the layers match, so check the activation and the order: {BLOCK_HINTS[block]}")
            fraction = passed / len(keys)
            outcome[test.name] = (1.0 if fraction == 1 else 0.0, "passed on %d/%d configurations" % (passed, len(keys)) + ("" if not notes else ". " + notes[0]))
        return outcome


UNET_SEED_ARGS = {
    "UnconditionalUNet": [1, 128],
    "TimeConditionalUNet": [1, 10, 64],
    "ClassConditionalUNet": [1, 10, 64],
}


class UNetGroup(Group):
    """One UNet: seed-config layers and parameter count; outputs on shared weights; the shape contract."""

    def __init__(self, unet: str):
        super().__init__(name=unet, part="b", probe_module="probes_part_b", probe="run_models", timeout_s=90)
        self.unet = unet
        self.tests = (
            TestSpec(f"{unet}: layers and parameter count of {unet}({', '.join(map(str, UNET_SEED_ARGS[unet]))})", 2.0, (unet,)),
            TestSpec(f"{unet}: output matches the diagram on the same weights", 2.0, (unet,), public=False),
            TestSpec(f"{unet}: input/output shapes [N, C, 28, 28]", 1.0, (unet,)),
        )

    def _calls(self, n: int, g: torch.Generator, key: str) -> tuple[dict[str, torch.Tensor], list[list[str]]]:
        x = torch.randn(n, 1, 28, 28, generator=g)
        tensors = {f"{key}.x": x}
        if self.unet == "UnconditionalUNet":
            return tensors, [[f"{key}.x"]]
        t = torch.rand(n, generator=g)
        tensors.update({f"{key}.t": t, f"{key}.t_col": t[:, None].clone()})
        if self.unet == "TimeConditionalUNet":
            return tensors, [[f"{key}.x", f"{key}.t"], [f"{key}.x", f"{key}.t_col"]]
        c = torch.randint(0, 10, (n,), generator=g)
        mask = torch.tensor([1.0, 0.0] * n)[:n]
        tensors.update({f"{key}.c": c, f"{key}.c1h": F.one_hot(c, 10).float(), f"{key}.mask": mask})
        return tensors, [[f"{key}.x", f"{key}.c", f"{key}.t"], [f"{key}.x", f"{key}.c1h", f"{key}.t_col"],
                         [f"{key}.x", f"{key}.c", f"{key}.t", f"{key}.mask"]]

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        ref = reference()
        cls = getattr(ref, self.unet)
        inputs: dict[str, torch.Tensor] = {}
        cases = []
        # seed configuration: parameter count and layer kinds (no forward pass needed)
        torch.manual_seed(0)
        seed_model = cls(*UNET_SEED_ARGS[self.unet])
        self.expected["seed"] = (sum(p.numel() for p in seed_model.parameters()), layers.layer_counts(seed_model))
        cases.append({"key": "seed", "name": self.unet, "args": UNET_SEED_ARGS[self.unet], "count_only": True})
        # small configuration on shared weights, batch sizes from hypothesis
        small_args = [1, 8] if self.unet == "UnconditionalUNet" else [1, 10, 8]
        for j, n in enumerate(strategies.examples(strategies.image_shapes(1, 28), 2)):
            key = f"small{j}"
            tensors, calls = self._calls(n[0] + 1, _generator(10 + j), key)
            inputs.update(tensors)
            torch.manual_seed(3 + j)
            model = cls(*small_args)
            plan = _plan_of(model, [tensors[k] for k in calls[0]])
            weights = layers.plan_weights(plan)
            inputs.update({f"{key}.{k}": v for k, v in weights.items()})
            self.expected[key] = (self._expected_outputs(model, plan, weights, tensors, calls), layers.plan_signatures(plan))
            cases.append({"key": key, "name": self.unet, "args": small_args, "calls": calls,
                          "signatures": layers.plan_signatures(plan), "weights": f"{key}."})
        return {"cases": cases}, inputs

    def _expected_outputs(self, model, plan, weights, tensors, calls) -> list[list[torch.Tensor]]:
        """Reference outputs for each order of the three skip concatenations (SPEC §4 allows either)."""
        consumers = [model.up1.net[0].net[0], model.up2.net[0].net[0], model.out_block.net[0].net[0]]
        indices = [next(i for i, m in enumerate(plan) if m is c) for c in consumers]
        dims = [0, 0, 1]
        names = {id(m): n for n, m in model.named_modules()}
        plan_names = [names[id(m)] for m in plan]
        variants = []
        for flips in itertools.product([False, True], repeat=3):
            w = dict(weights)
            for flip, index, dim in zip(flips, indices, dims):
                if flip:
                    key = f"w_{index:03d}_0"
                    a, b = w[key].chunk(2, dim=dim)
                    w[key] = torch.cat([b, a], dim=dim)
            clone = copy.deepcopy(model)
            clone_plan = [dict(clone.named_modules())[name] for name in plan_names]
            layers.load_plan_weights(clone_plan, w)
            clone.train()
            with torch.no_grad():
                variants.append([clone(*[tensors[k].clone() for k in call]) for call in calls])
        return variants

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        """Behaviour first: outputs on shared weights (numeric test), output shapes with the student's own weights
        (shape test). The layers test costs points only when the layers differ from the diagram's (parametric layers
        in forward order, parameter count, activation and pooling modules) *and* the outputs differ too: a
        functional ``F.gelu``, a stride that cannot matter or a bias BatchNorm cancels is correct work."""
        structure, numeric, shapes = self.tests
        outcome: dict[str, tuple[float, str]] = {}
        numeric_notes, shape_notes, numeric_ok, shape_ok = [], [], True, True
        for key in (k for k in self.expected if k.startswith("small")):
            record, why = record_or_reason(run, key)
            variants = self.expected[key][0]
            if record is None:
                numeric_ok = shape_ok = False
                numeric_notes.append(why)
                shape_notes.append(why)
                continue
            call_errors = record.meta.get("call_errors", {})
            expected_shape = list(variants[0][0].shape)
            got_shapes = record.meta.get("shapes", [])
            if call_errors:
                index, error = next(iter(call_errors.items()))
                message = f"your forward raised {error} (call {int(index) + 1}: {self._call_words(int(index))})"
                numeric_ok = shape_ok = False
                numeric_notes.append(message)
                shape_notes.append(message)
                continue
            if any(shape != expected_shape for shape in got_shapes):
                shape_ok = False
                shape_notes.append(f"expected outputs of shape {expected_shape}, got {got_shapes}")
            outs = [record.tensors.get(f"out_{i}") for i in range(len(variants[0]))]
            if any(o is None for o in outs):
                numeric_ok = False
                numeric_notes.append(_structure_feedback(self.unet, record.meta, record.meta.get("signatures", [])) or
                                     "the layers' parameter shapes differ from the diagram, so weights could not be shared (see the layers test)")
                continue
            best = min(max(max_diff(o, e) for o, e in zip(outs, variant)) for variant in variants)
            if best > MODEL_ATOL:
                numeric_ok = False
                numeric_notes.append(self._numeric_hint(outs, variants, best))
        record, why = record_or_reason(run, "seed")
        small, _ = record_or_reason(run, "small0")
        if record is None:
            outcome[structure.name] = (0.0, why)
        else:
            count, kinds = self.expected["seed"]
            got = record.meta.get("params")
            problem = _structure_feedback(self.unet, small.meta, self.expected["small0"][1]) if small is not None else ""
            got_kinds = {k: v for k, v in record.meta.get("counts", {}).items() if k in kinds or k in ("ReLU", "SiLU", "MaxPool2d")}
            differences = [d for d in (
                problem,
                f"{got:,} parameters, expected {count:,}" if got != count else "",
                f"layer modules {got_kinds}, expected {kinds} — a missing GELU, or another activation/pooling?" if got_kinds != kinds else "",
            ) if d]
            if not differences:
                outcome[structure.name] = (1.0, f"{count:,} parameters; layers {kinds}, as in the diagram")
            elif numeric_ok:
                outcome[structure.name] = (1.0, f"outputs match the diagram on shared weights, so the difference in form "
                                                f"does not matter ({differences[0]})")
            else:
                outcome[structure.name] = (0.0, differences[0])
        outcome[numeric.name] = (1.0, "outputs match the reference on shared weights") if numeric_ok else (0.0, numeric_notes[0])
        outcome[shapes.name] = (1.0, "outputs have the input's shape") if shape_ok else (0.0, shape_notes[0] if shape_notes else "no output")
        return outcome

    def _call_words(self, index: int) -> str:
        """How the grader called the UNet in call ``index``, for feedback."""
        words = {
            "UnconditionalUNet": ["unet(x) with x [N, 1, 28, 28]"],
            "TimeConditionalUNet": ["unet(x, t) with t [N]", "unet(x, t) with t [N, 1] (also tried [N])"],
            "ClassConditionalUNet": ["unet(x, c, t) with class indices c [N]",
                                     "unet(x, c, t) with one-hot c [N, 10] and t [N, 1] (also tried indices and [N])",
                                     "unet(x, c, t, mask) with mask [N]"],
        }[self.unet]
        return words[min(index, len(words) - 1)]

    def _numeric_hint(self, outs, variants, best) -> str:
        base = f"max |Δ| = {best:.3g} from the reference on the same weights"
        first = [max_diff(outs[0], v[0]) for v in variants]
        if len(outs) > 1 and min(first) <= MODEL_ATOL:
            if self.unet == "TimeConditionalUNet":
                return base + " for t of shape [N, 1] (t of shape [N] matches): accept both"
            return base + " for one-hot classes or the mask (class indices match): accept both forms, and zero the class where mask == 0"
        hint = {
            "UnconditionalUNet": "check each skip connection (concatenate the encoder's map with the decoder's) and the GELU after Flatten",
            "TimeConditionalUNet": "check where t is injected: unflatten + fc1_t(t), up1 + fc2_t(t)",
            "ClassConditionalUNet": "check the conditioning: unflatten = c1·unflatten + t1, up1 = c2·up1 + t2",
        }[self.unet]
        return f"{base}: {hint}"


# --------------------------------------------------------------------------------------- add_noise etc.


class AddNoiseGroup(Group):
    """``add_noise(x, sigma)``: ``z − x = σ ε`` for drawn noise ε of ``x``'s shape."""

    def __init__(self) -> None:
        super().__init__(name="add_noise", part="b", probe_module="probes_part_b", probe="run_add_noise", timeout_s=40)
        self.tests = (TestSpec("add_noise: z = x + σ·ε with ε ~ N(0, I)", 2.0, ("add_noise",)),)

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        shapes = strategies.examples(strategies.image_shapes(), 3)
        sigmas = strategies.examples(strategies.sigmas(), 3)
        cases, inputs = [], {}
        for j, (shape, sigma) in enumerate(zip(shapes, sigmas)):
            x = torch.rand(shape, generator=_generator(20 + j))
            inputs[f"x{j}"] = x
            self.expected[f"c{j}"] = (x, sigma)
            cases.append({"key": f"c{j}", "x": f"x{j}", "sigma": sigma})
        return {"cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        for key, (x, sigma) in self.expected.items():
            record, why = record_or_reason(run, key)
            if record is None:
                return {self.tests[0].name: (0.0, why)}
            z = record.tensors.get("z")
            _, draws = split_trace(record.tensors)
            if z is None or z.shape != x.shape or not torch.isfinite(z).all():
                return {self.tests[0].name: (0.0, f"for x of shape {list(x.shape)} expected z of the same shape, got {None if z is None else list(z.shape)}")}
            if sigma == 0:
                if max_diff(z, x) > 1e-6:
                    return {self.tests[0].name: (0.0, "with σ = 0, z must equal x")}
                continue
            if not matches_a_draw((z - x) / sigma, draws, 1e-3):
                hint = ""
                if matches_a_draw(z - x, draws, 1e-3):
                    hint = " Hint: the noise is not multiplied by σ."
                elif matches_a_draw(z / sigma, draws, 1e-3):
                    hint = " Hint: x itself is missing from z."
                elif matches_a_draw((z - x) / sigma ** 2, draws, 1e-3):
                    hint = " Hint: σ² is used where σ belongs (σ is a standard deviation)."
                return {self.tests[0].name: (0.0, f"with σ = {sigma}: (z − x)/σ is not Gaussian noise drawn in the call.{hint}")}
        return {self.tests[0].name: (1.0, "z = x + σ·ε for every case")}


class ScheduleGroup(Group):
    """``ddpm_schedule``: betas, alphas, alpha_bars against the reference."""

    def __init__(self) -> None:
        super().__init__(name="ddpm_schedule", part="b", probe_module="probes_part_b", probe="run_schedule", timeout_s=30)
        self.tests = (TestSpec("ddpm_schedule: betas, alphas and alpha_bars", 2.0, ("ddpm_schedule",)),)

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        configs = [(1e-4, 0.02, 300)] + strategies.examples(strategies.schedules(), 3)
        cases = []
        for j, (b1, b2, n) in enumerate(configs):
            self.expected[f"s{j}"] = ((b1, b2, n), reference().ddpm_schedule(b1, b2, n))
            cases.append({"key": f"s{j}", "beta1": b1, "beta2": b2, "num_ts": n})
        return {"cases": cases}, {}

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        name = self.tests[0].name
        for key, ((b1, b2, n), expected) in self.expected.items():
            record, why = record_or_reason(run, key)
            if record is None:
                return {name: (0.0, why)}
            for part in ("betas", "alphas", "alpha_bars"):
                got = record.tensors.get(part)
                if got is None:
                    return {name: (0.0, f"the returned dict has no {part!r} entry (keys: {record.meta.get('keys')})")}
                ok, message = check_tensor(got.float(), expected[part], f"{part} for ({b1}, {b2}, {n})", 1e-6, 1e-5)
                if not ok:
                    hint = ""
                    if part == "betas" and got.numel() == n:
                        grid = torch.linspace(b1, b2, n + 1)
                        if max_diff(got.float(), grid[1:]) < 1e-6 or max_diff(got.float(), grid[:-1]) < 1e-6:
                            hint = " Hint: betas are off by one element — torch.linspace(beta1, beta2, num_ts) includes both ends."
                    if part == "alpha_bars":
                        hint = " Hint: ᾱ_t is the cumulative product of the alphas (torch.cumprod)."
                    return {name: (0.0, message + hint)}
        return {name: (1.0, "matches the reference for every configuration")}


# --------------------------------------------------------------------------------------------- DDPM

DDPM_T = 30


def _schedule_inputs() -> dict[str, torch.Tensor]:
    return reference().ddpm_schedule(1e-4, 0.02, DDPM_T)


def _digits(n: int, seed: int) -> torch.Tensor:
    """Stand-in clean images in [0, 1] (smooth blobs, like digits' intensity range)."""
    g = _generator(seed)
    return torch.sigmoid(3 * torch.randn(n, 1, 28, 28, generator=g))


class DDPMTimeGroup(Group):
    """``ddpm_forward`` and ``ddpm_sample`` on the stand-in UNet, and their shared time convention."""

    def __init__(self) -> None:
        super().__init__(name="ddpm", part="b", probe_module="probes_part_b", probe="run_ddpm", timeout_s=60)
        self.tests = (
            TestSpec("ddpm_forward: x_t, t/T and the loss follow Algorithm 1", 3.0, ("ddpm_forward",)),
            TestSpec("ddpm_sample: every step follows Algorithm 2", 3.0, ("ddpm_sample",), public=False),
            TestSpec("ddpm_forward and ddpm_sample use the same time convention", 1.0, ("ddpm_forward", "ddpm_sample"), public=False),
        )

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        inputs = dict(_schedule_inputs())
        inputs["x0"] = _digits(512, 30)
        self.expected["schedule"] = _schedule_inputs()
        cases = [
            {"key": "forward", "kind": "ddpm_forward", "x": "x0", "seed": 1},
            {"key": "sample", "kind": "ddpm_sample", "img_wh": [28, 28], "num_samples": 4, "seed": 2},
        ]
        self.expected["x0"] = inputs["x0"]
        return {"conditional": False, "num_ts": DDPM_T, "cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        spy = spies.SpyUNet()
        schedule = self.expected["schedule"]
        train = _verdict(run, "forward", lambda r: verify_training(r.tensors, self.expected["x0"], schedule, lambda x, t, c: spy.eps(x, t), DDPM_T))
        sample = _verdict(run, "sample", lambda r: _sample_verdict(r, schedule, lambda x, t: spy.eps(x, t), 4))
        return {
            self.tests[0].name: (float(train.ok), train.message),
            self.tests[1].name: (float(sample.ok), sample.message),
            self.tests[2].name: _consistency(train, sample),
        }


class DDPMClassCondGroup(Group):
    """``ddpm_forward_cond`` (loss and class dropout) and ``ddpm_sample_cond`` (CFG)."""

    def __init__(self) -> None:
        super().__init__(name="ddpm_cond", part="b", probe_module="probes_part_b", probe="run_ddpm", timeout_s=60)
        self.tests = (
            TestSpec("ddpm_forward_cond: x_t, t/T and the loss follow Algorithm 3", 2.0, ("ddpm_forward_cond",)),
            TestSpec("ddpm_forward_cond: the class is dropped with probability p_uncond", 2.0, ("ddpm_forward_cond",), public=False),
            TestSpec("ddpm_sample_cond: every step follows Algorithm 4 (CFG)", 3.0, ("ddpm_sample_cond",), public=False),
        )

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        inputs = dict(_schedule_inputs())
        inputs["x0"] = _digits(512, 31)
        inputs["c"] = torch.randint(0, 10, (512,), generator=_generator(32))
        inputs["x0_small"] = inputs["x0"][:64].clone()
        inputs["c_small"] = inputs["c"][:64].clone()
        inputs["c_sample"] = torch.tensor([1, 3, 5, 7])
        self.expected.update(schedule=_schedule_inputs(), x0=inputs["x0"], c=inputs["c"],
                             x0_small=inputs["x0_small"], c_small=inputs["c_small"], c_sample=inputs["c_sample"])
        cases = [
            {"key": "forward", "kind": "ddpm_forward_cond", "x": "x0", "c": "c", "p_uncond": 0.3, "seed": 1},
            {"key": "forward_p0", "kind": "ddpm_forward_cond", "x": "x0_small", "c": "c_small", "p_uncond": 0.0, "seed": 3},
            {"key": "sample", "kind": "ddpm_sample_cond", "c": "c_sample", "img_wh": [28, 28], "guidance_scale": 5.0, "seed": 2},
        ]
        return {"conditional": True, "num_ts": DDPM_T, "cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        spy = spies.SpyUNet(conditional=True)
        schedule = self.expected["schedule"]
        loss = _verdict(run, "forward", lambda r: verify_training(r.tensors, self.expected["x0"], schedule, spy.eps, DDPM_T))
        dropout = self._dropout(run)
        c1h = F.one_hot(self.expected["c_sample"], 10).float()

        def guided(gamma_sign: float = 1.0, swap: bool = False) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
            def fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
                eps_c, eps_u = spy.eps(x, t, c1h), spy.eps(x, t, torch.zeros_like(c1h))
                if swap:
                    eps_c, eps_u = eps_u, eps_c
                return eps_u + gamma_sign * 5.0 * (eps_c - eps_u)
            return fn

        sample = _verdict(run, "sample", lambda r: _sample_verdict(r, schedule, guided(), 4))
        if not sample.ok and "Algorithm-2 update" in sample.message:
            record = run.records["sample"]
            if _sample_verdict(record, schedule, guided(swap=True), 4).ok:
                sample.message = "ε_c and ε_u are swapped in the guidance formula: ε = ε_u + γ(ε_c − ε_u)"
            elif _sample_verdict(record, schedule, guided(-1.0), 4).ok:
                sample.message = "sign error in classifier-free guidance: ε = ε_u + γ(ε_c − ε_u)"
            elif _dropped_at_sampling(record):
                sample.message = "the class was dropped (zeroed) on conditional calls while sampling: class dropout belongs to training only"
        return {
            self.tests[0].name: (float(loss.ok), loss.message),
            self.tests[1].name: dropout,
            self.tests[2].name: (float(sample.ok), sample.message),
        }

    def _dropout(self, run: ChildRun) -> tuple[float, str]:
        for key, x_key, c_key, p in (("forward", "x0", "c", 0.3), ("forward_p0", "x0_small", "c_small", 0.0)):
            record, why = record_or_reason(run, key)
            if record is None:
                return 0.0, why
            calls, _ = split_trace(record.tensors)
            if len(calls) != 1 or "c" not in calls[0]:
                return 0.0, f"expected one UNet call with the class input, saw {len(calls)} calls"
            cvec = calls[0]["c"]
            one_hot = F.one_hot(self.expected[c_key], 10).float()
            if cvec.shape != one_hot.shape:
                return 0.0, f"class vectors of shape {list(cvec.shape)}, expected {list(one_hot.shape)}"
            kept = (cvec - one_hot).abs().amax(dim=1) < 1e-6
            dropped = cvec.abs().amax(dim=1) < 1e-6
            if not bool((kept | dropped).all()):
                return 0.0, "each class vector must be the one-hot class or all zeros (dropped)"
            fraction = float(dropped.float().mean())
            n = one_hot.shape[0]
            # 5 standard deviations of a binomial proportion: false failure < 1e-6 for a correct draw.
            slack = 5 * (p * (1 - p) / n) ** 0.5
            if p == 0.0 and fraction > 0:
                return 0.0, f"with p_uncond = 0, {fraction:.0%} of the classes were dropped; none should be"
            if abs(fraction - p) > slack:
                extra = " — class dropout not applied?" if fraction == 0 else ""
                return 0.0, f"with p_uncond = {p}, {fraction:.1%} of the classes were dropped; expected {p:.0%} ± {slack:.1%}{extra}"
        return 1.0, "classes dropped at the rate p_uncond (0.3 → within 5σ; 0 → none)"


def _dropped_at_sampling(record: Any) -> bool:
    calls, _ = split_trace(record.tensors)
    rows = torch.cat([c["c"] for c in calls if "c" in c]) if calls else torch.zeros(0, 10)
    if rows.numel() == 0:
        return False
    zero = rows.abs().amax(dim=1) < 1e-6
    return float(zero.float().mean()) > 0.55


def _verdict(run: ChildRun, key: str, fn: Callable[[Any], Verdict]) -> Verdict:
    record, why = record_or_reason(run, key)
    if record is None:
        return Verdict(False, why)
    try:
        return fn(record)
    except Exception as error:  # malformed traces: report, never crash the grader
        return Verdict(False, f"could not check the result ({type(error).__name__}: {error})")


def _sample_verdict(record: Any, schedule, eps_fn, batch: int) -> Verdict:
    images = record.tensors.get("images")
    unpassed = record.meta.get("unpassed", [])
    if "num_samples" in unpassed and images is not None and images.shape[0] != batch:
        return Verdict(False, f"ddpm_sample has no num_samples parameter, so the grader could not ask for {batch} samples "
                              f"(it returned {images.shape[0]}); the assignment's signature is "
                              "ddpm_sample(unet, ddpm_schedule, img_wh, num_ts, seed=0, num_samples=40)", None)
    verdict = verify_sampling(record.tensors, schedule, eps_fn, DDPM_T, batch)
    if verdict.ok:
        frames = record.meta.get("frames", 0)
        if frames is None or frames < 1 or not record.meta.get("frame_shapes_ok"):
            return Verdict(False, "frames must be a non-empty list of [N, C, H, W] snapshots", verdict.convention)
    return verdict


def _consistency(train: Verdict, sample: Verdict) -> tuple[float, str]:
    if train.convention is None or sample.convention is None:
        return 0.0, "cannot be checked until ddpm_forward and ddpm_sample both pass (see those tests)"
    if train.convention != sample.convention:
        names = {1: "1-based (t ∈ 1…T, index t−1)", 0: "0-based (t ∈ 0…T−1, index t)"}
        return 0.0, f"training uses {names[train.convention]} but sampling uses {names[sample.convention]}"
    return 1.0, "training and sampling agree on t"


class DDPMModuleGroup(Group):
    """``DDPM``: forward/sample call the DDPM functions with its UNet and schedule (or compute the same)."""

    def __init__(self) -> None:
        super().__init__(name="DDPM", part="b", probe_module="probes_part_b", probe="run_ddpm_class", timeout_s=60)
        self.tests = (TestSpec("DDPM: forward and sample use the module's UNet, schedule and settings", 2.0, ("DDPM",)),)

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        inputs = dict(_schedule_inputs())
        inputs.update(x=_digits(256, 40), c=torch.randint(0, 10, (256,), generator=_generator(41)),
                      c_sample=torch.tensor([2, 4, 6]))
        self.expected.update(schedule=_schedule_inputs(), x=inputs["x"], c=inputs["c"], c_sample=inputs["c_sample"])
        cases = [
            {"key": "loss", "method": "forward", "x": "x"},
            {"key": "loss_c", "method": "forward", "x": "x", "c": "c"},
            {"key": "sample", "method": "sample", "num_samples": 3, "seed": 5},
            {"key": "sample_c", "method": "sample", "c": "c_sample", "guidance_scale": 5.0, "seed": 5},
        ]
        spec = {"betas": [1e-4, 0.02], "num_ts": DDPM_T, "p_uncond": 0.1, "cases": cases}
        return spec, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        name = self.tests[0].name
        expected_calls = {
            "loss": ("ddpm_forward", ["<unet>", "<schedule>", "<input x>", DDPM_T]),
            "loss_c": ("ddpm_forward_cond", ["<unet>", "<schedule>", "<input x>", "<input c>", 0.1, DDPM_T]),
            "sample": ("ddpm_sample", ["<unet>", "<schedule>", [28, 28], DDPM_T, 5, 3]),
            "sample_c": ("ddpm_sample_cond", ["<unet>", "<schedule>", "<input c_sample>", [28, 28], DDPM_T, 5.0, 5]),
        }
        params = {
            "ddpm_forward": ["unet", "ddpm_schedule", "x_0", "num_ts"],
            "ddpm_forward_cond": ["unet", "ddpm_schedule", "x_0", "c", "p_uncond", "num_ts"],
            "ddpm_sample": ["unet", "ddpm_schedule", "img_wh", "num_ts", "seed", "num_samples"],
            "ddpm_sample_cond": ["unet", "ddpm_schedule", "c", "img_wh", "num_ts", "guidance_scale", "seed"],
        }
        defaults = {"seed": 0, "num_samples": 40, "guidance_scale": 5.0}
        spy_t, spy_c = spies.SpyUNet(), spies.SpyUNet(conditional=True)
        schedule = self.expected["schedule"]
        for key, (fn, want) in expected_calls.items():
            wired, why = record_or_reason(run, key + "_wired")
            problem = why
            if wired is not None:
                problem = _wiring_problem(wired.meta.get("calls", []), fn, want, params[fn], defaults)
                if not problem:
                    continue
            real, real_why = record_or_reason(run, key + "_real")
            if real is None:
                return {name: (0.0, f"{key}: {problem}")}
            if key == "loss":
                verdict = verify_training(real.tensors, self.expected["x"], schedule, lambda x, t, c: spy_t.eps(x, t), DDPM_T)
            elif key == "loss_c":
                verdict = verify_training(real.tensors, self.expected["x"], schedule, spy_c.eps, DDPM_T)
            elif key == "sample":
                verdict = verify_sampling(real.tensors, schedule, lambda x, t: spy_t.eps(x, t), DDPM_T, 3)
            else:
                c1h = F.one_hot(self.expected["c_sample"], 10).float()
                verdict = verify_sampling(real.tensors, schedule, lambda x, t: spy_c.eps(x, t, torch.zeros_like(c1h)) + 5.0 * (
                    spy_c.eps(x, t, c1h) - spy_c.eps(x, t, torch.zeros_like(c1h))), DDPM_T, 3)
            if not verdict.ok:
                return {name: (0.0, f"{key}: {problem}")}
        return {name: (1.0, "forward and sample pass the module's UNet, schedule, p_uncond and num_ts on")}


def _wiring_problem(calls: list[dict[str, Any]], fn: str, want: list[Any], names: list[str], defaults: dict[str, Any]) -> str:
    matching = [c for c in calls if c.get("fn") == fn]
    if not matching:
        return f"{fn} was not called (calls seen: {[c.get('fn') for c in calls if c.get('fn') != 'ddpm_schedule'] or 'none'})"
    call = matching[-1]
    bound = dict(zip(names, call.get("args", [])))
    bound.update(call.get("kwargs", {}))
    for param, value in zip(names, want):
        got = bound.get(param, defaults.get(param, "<missing>"))
        if value == "<schedule>":
            if not (isinstance(got, dict) and all(str(got.get(k, "")).startswith(f"<input {k}>") for k in ("betas", "alphas", "alpha_bars"))):
                return f"{fn} did not receive the module's schedule (got {str(got)[:80]})"
            continue
        if isinstance(value, list):
            got = list(got) if isinstance(got, (list, tuple)) else got
        if isinstance(value, float) and isinstance(got, (int, float)):
            if abs(got - value) > 1e-9:
                return f"{fn} received {param} = {got}, expected {value}"
            continue
        if got != value:
            return f"{fn} received {param} = {str(got)[:60]}, expected {value}"
    return ""


# ---------------------------------------------------------------------------------------- training


class TrainingGroup(Group):
    """A short CPU training run of the student's UNets (grader's loop and noise): the loss must fall."""

    STEPS = 20

    def __init__(self) -> None:
        super().__init__(name="training", part="b", probe_module="probes_part_b", probe="run_training", timeout_s=120)
        self.tests = (
            TestSpec("UnconditionalUNet: a one-step denoiser (σ = 0.5) learns in 20 CPU steps", 1.0, ("UnconditionalUNet",), public=False),
            TestSpec("TimeConditionalUNet: the DDPM loss falls over 20 CPU steps", 1.0, ("TimeConditionalUNet",), public=False),
        )

    def plan(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        from assignment.mnist import load_mnist, mnist_tensors

        try:
            images, _ = mnist_tensors(load_mnist(train=True))
            images = images[:640].clone()
        except Exception:  # no MNIST available: smooth stand-in digits
            images = _digits(640, 50)
        inputs = {"images": images, "noise": torch.randn(self.STEPS, 32, 1, 28, 28, generator=_generator(51)),
                  "alpha_bars": _schedule_inputs()["alpha_bars"]}
        common = {"steps": self.STEPS, "batch": 32, "lr": 3e-3, "images": "images", "noise": "noise", "seed": 0}
        cases = [
            {"key": "denoise", "kind": "denoise", "name": "UnconditionalUNet", "args": [1, 8], "sigma": 0.5, **common},
            {"key": "ddpm", "kind": "ddpm", "name": "TimeConditionalUNet", "args": [1, 10, 8], "num_ts": DDPM_T, **common},
        ]
        return {"cases": cases}, inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        outcome = {}
        # thresholds: the reference (num_hiddens = 8) reaches end/start loss ratios ≈ 0.11 (denoiser) and ≈ 0.45 (DDPM)
        for test, key, ratio in ((self.tests[0], "denoise", 0.5), (self.tests[1], "ddpm", 0.8)):
            record, why = record_or_reason(run, key)
            if record is None:
                outcome[test.name] = (0.0, why)
                continue
            losses = record.tensors.get("losses")
            if losses is None or not torch.isfinite(losses).all():
                outcome[test.name] = (0.0, "the loss became NaN/inf during training")
                continue
            start, end = float(losses[:5].mean()), float(losses[-5:].mean())
            if end < ratio * start:
                outcome[test.name] = (1.0, f"loss fell from {start:.4f} to {end:.4f}")
            else:
                outcome[test.name] = (0.0, f"loss went from {start:.4f} to {end:.4f}; expected below {ratio:.0%} of the start — check the architecture (see the layers tests)")
        return outcome
