"""Part B's model groups: each block, and the three UNets, against the reference on shared weights.

Behaviour decides: a block or UNet passes when its outputs equal the reference's on the same weights; a
difference in form (functional activations, a stride that cannot matter, a bias BatchNorm cancels) costs nothing
unless the outputs differ, and then the feedback names the first layer that differs.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from autograder import config, strategies
from autograder.child import layers
from autograder.child.cases import ModelCase, ModelSpec, Probe
from autograder.compare import check_tensor, max_diff
from autograder.groups.base import Group, TestSpec, record_or_reason
from autograder.groups.part_b_common import MODEL_ATOL, _generator, reference
from autograder.sandbox import ChildRun

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


@dataclass(frozen=True)
class BlockExpected:
    """A block configuration's reference output and its parametric layers' signatures (forward order)."""

    block: str
    output: torch.Tensor
    signatures: list[str]


@dataclass(frozen=True)
class UNetSeedExpected:
    """The seed configuration's parameter count and layer-module counts."""

    params: int
    counts: dict[str, int]


@dataclass(frozen=True)
class UNetOutputsExpected:
    """A small configuration's reference outputs (one list of call outputs per accepted skip-concatenation order)
    and its parametric layers' signatures."""

    variants: list[list[torch.Tensor]]
    signatures: list[str]


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
        super().__init__(name="blocks", part="b", probe_ref=Probe.MODELS, timeout_s=config.TIME_LIMITS_S["blocks"])
        self.tests = tuple(TestSpec(f"{b}: layers and output match the diagram", 1.0, (b,), public=True) for b in BLOCKS)

    def plan_spec(self) -> tuple[ModelSpec, dict[str, torch.Tensor]]:
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
                    self.expected[key] = BlockExpected(block, model(x.clone()), layers.plan_signatures(plan))
                cases.append(ModelCase(key=key, name=block, args=args, calls=[[f"{key}.x"]],
                                       signatures=layers.plan_signatures(plan), weights=f"{key}."))
        return ModelSpec(cases=cases), inputs

    def check(self, run: ChildRun) -> dict[str, tuple[float, str]]:
        """A block passes when its outputs equal the reference's on shared weights. Its layers' form (an ``F.gelu``
        instead of an ``nn.GELU``, a stride that cannot matter on a 1 × 1 map, a bias BatchNorm cancels) costs
        nothing unless the outputs differ; then the message names the first layer that differs."""
        outcome = {}
        for block, test in zip(BLOCKS, self.tests):
            passed, notes = 0, []
            keys = [k for k, want in self.expected.items() if want.block == block]
            for key in keys:
                record, why = record_or_reason(run, key)
                if record is None:
                    notes.append(why)
                    continue
                out, sigs = self.expected[key].output, self.expected[key].signatures
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
                ok, message = check_tensor(_pooled_map(block, got, out), out, f"{block} output", MODEL_ATOL)
                if ok:
                    passed += 1
                elif problem:
                    notes.append(f"{problem}, and the outputs differ on the same weights ({message}). Expected: {BLOCK_HINTS[block]}.")
                else:
                    notes.append(message + f" — the layers match, so check the activation and the order: {BLOCK_HINTS[block]}")
            fraction = passed / len(keys)
            outcome[test.name] = (1.0 if fraction == 1 else 0.0, f"passed on {passed}/{len(keys)} configurations" + ("" if not notes else ". " + notes[0]))
        return outcome


def _pooled_map(block: str, got: torch.Tensor, expected: torch.Tensor) -> torch.Tensor:
    """A ``Flatten`` output given as ``[N, C]`` vectors read as the ``[N, C, 1, 1]`` map it holds (the same values;
    such a Flatten is paired with an Unflatten that reshapes back); every other output as it is."""
    if block == "Flatten" and got.dim() == 2 and tuple(got.shape) == tuple(expected.shape[:2]) and expected.dim() == 4:
        return got.reshape(expected.shape)
    return got


UNET_SEED_ARGS = {
    "UnconditionalUNet": [1, 128],
    "TimeConditionalUNet": [1, 10, 64],
    "ClassConditionalUNet": [1, 10, 64],
}


class UNetGroup(Group):
    """One UNet: seed-config layers and parameter count; outputs on shared weights; the shape contract."""

    def __init__(self, unet: str):
        super().__init__(name=unet, part="b", probe_ref=Probe.MODELS, timeout_s=config.TIME_LIMITS_S[unet])
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
        tensors.update({f"{key}.c": c, f"{key}.c1h": F.one_hot(c, 10).float(), f"{key}.mask": mask,
                        f"{key}.mask_col": mask[:, None].clone()})
        return tensors, [[f"{key}.x", f"{key}.c", f"{key}.t"], [f"{key}.x", f"{key}.c1h", f"{key}.t_col"],
                         [f"{key}.x", f"{key}.c", f"{key}.t", f"{key}.mask"]]

    def plan_spec(self) -> tuple[ModelSpec, dict[str, torch.Tensor]]:
        ref = reference()
        cls = getattr(ref, self.unet)
        inputs: dict[str, torch.Tensor] = {}
        cases = []
        # seed configuration: parameter count and layer kinds (no forward pass needed)
        torch.manual_seed(0)
        seed_model = cls(*UNET_SEED_ARGS[self.unet])
        self.expected["seed"] = UNetSeedExpected(sum(p.numel() for p in seed_model.parameters()), layers.layer_counts(seed_model))
        cases.append(ModelCase(key="seed", name=self.unet, args=UNET_SEED_ARGS[self.unet], count_only=True))
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
            self.expected[key] = UNetOutputsExpected(self._expected_outputs(model, plan, weights, tensors, calls),
                                                     layers.plan_signatures(plan))
            cases.append(ModelCase(key=key, name=self.unet, args=small_args, calls=calls,
                                   signatures=layers.plan_signatures(plan), weights=f"{key}."))
        return ModelSpec(cases=cases), inputs

    def _expected_outputs(self, model, plan, weights, tensors, calls) -> list[list[torch.Tensor]]:
        """Reference outputs for each order of the three skip concatenations (docs/spec.md §5 allows either) and, for
        ``TimeConditionalUNet``, for either way of injecting time: added (DDPM version) or multiplied (flow-matching
        version, docs/spec.md §2.6) — the same layers, so the same shared weights."""
        variants = self._skip_order_outputs(model, plan, weights, tensors, calls)
        if self.unet == "TimeConditionalUNet":
            from solutions import part_b_fm

            scaled = part_b_fm.TimeConditionalUNet(*[model.in_channels, model.num_classes, model.num_hiddens])
            scaled.load_state_dict(model.state_dict())
            scaled_plan = _plan_of(scaled, [tensors[k] for k in calls[0]])
            variants += self._skip_order_outputs(scaled, scaled_plan, weights, tensors, calls)
        return variants

    def _skip_order_outputs(self, model, plan, weights, tensors, calls) -> list[list[torch.Tensor]]:
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
        for key, want in self.expected_of(UNetOutputsExpected).items():
            record, why = record_or_reason(run, key)
            variants = want.variants
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
            count, kinds = self.expected["seed"].params, self.expected["seed"].counts
            got = record.meta.get("params")
            problem = _structure_feedback(self.unet, small.meta, self.expected["small0"].signatures) if small is not None else ""
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
                                     "unet(x, c, t, mask) with mask [N] (also tried [N, 1])"],
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
            "TimeConditionalUNet": "check where t is injected: unflatten + fc1_t(t), up1 + fc2_t(t) (or, in the "
                                   "flow-matching version, unflatten · fc1_t(t), up1 · fc2_t(t))",
            "ClassConditionalUNet": "check the conditioning: unflatten = c1·unflatten + t1, up1 = c2·up1 + t2",
        }[self.unet]
        return f"{base}: {hint}"
