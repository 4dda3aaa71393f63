"""Part B flow-matching probes: what the child runs for the flow-matching groups (never what it expects).

Each ``run_*`` function calls the student's code on the stand-in UNet (:class:`spies.SpyUNet`, here read as a
velocity field) and records the loss or the images, every UNet call and the Gaussian noise drawn — the trace the
grader checks with :mod:`autograder.traces_fm`.
"""

from __future__ import annotations

import inspect
from typing import Any

import call_binding
import records
import rng_tap
import spies
import torch
from cases import FlowCase, FlowModuleCase, FlowModuleSpec, FlowSpec, receives
from probes_part_b import _need, _trace

SIGNATURES = {
    "time_fm_forward": "time_fm_forward(unet, x_1, num_ts)",
    "class_fm_forward": "class_fm_forward(unet, x_1, c, p_uncond, num_ts)",
    "time_fm_sample": "time_fm_sample(unet, img_wh, num_ts, seed=0, num_samples=40)",
    "class_fm_sample": "class_fm_sample(unet, c, img_wh, num_ts, guidance_scale=5.0, seed=0)",
}


@receives(FlowSpec)
def run_flow(ns: dict[str, Any], spec: FlowSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """The four flow-matching functions (``case.kind``, one of ``SIGNATURES``) on the stand-in UNet, with its call
    trace and the noise drawn."""
    num_ts = int(spec.num_ts)
    for case in spec.cases:
        spy = spies.SpyUNet(conditional=case.kind.startswith("class"))
        rec.run(case.key, lambda case=case, spy=spy: _flow_case(ns, case, inputs, spy, num_ts))


@receives(FlowModuleSpec)
def run_flow_module(ns: dict[str, Any], spec: FlowModuleSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """The ``FlowMatching`` module on the stand-in UNet: ``forward(x[, c])`` and ``sample(...)``, traced.

    A submission written to the course's starter has no ``FlowMatching`` but its pair of modules (docs/spec.md §2.6):
    ``TimeConditionalFM(unet, num_ts)`` with ``forward(x)``, ``sample(img_wh, seed=0)`` serves the time-only cases and
    ``ClassConditionalFM(unet, num_ts, p_uncond)`` with ``forward(x, c)``, ``sample(c, img_wh, guidance_scale, seed)``
    the class-conditioned ones."""
    course_pair = "FlowMatching" not in ns and bool({"TimeConditionalFM", "ClassConditionalFM"} & set(ns))
    for case in spec.cases:
        def call(case: FlowModuleCase = case) -> tuple[dict[str, Any], dict[str, Any]]:
            c = inputs[case.c].clone() if case.c else None
            spy = spies.SpyUNet(conditional=c is not None)
            if course_pair:
                return _course_module_case(ns, spec, case, inputs, spy, c)
            model = _need(ns, "FlowMatching")(spy, num_ts=int(spec.num_ts), p_uncond=spec.p_uncond)
            torch.manual_seed(case.seed)
            with rng_tap.recording() as draws:
                if case.method == "forward":
                    out = model(inputs[case.x].clone()) if c is None else model(inputs[case.x].clone(), c)
                elif c is None:
                    out, _ = call_binding.call_accepting(model.sample, [], {"img_wh": (28, 28), "seed": case.seed,
                                                                            "num_samples": case.num_samples})
                else:
                    out, _ = call_binding.call_accepting(model.sample, [c], {"img_wh": (28, 28), "seed": case.seed,
                                                                             "guidance_scale": case.guidance_scale})
            return _result(out, case.method == "forward", spy, draws)

        rec.run(case.key, call)


def _course_module_case(ns: dict[str, Any], spec: FlowModuleSpec, case: FlowModuleCase, inputs: dict[str, torch.Tensor],
                        spy: spies.SpyUNet, c: torch.Tensor | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """One case on the course starter's module for it: built as ``(unet, num_ts[, p_uncond])`` (by those names when
    the constructor has them, else in that order); ``sample`` gets the image size (and classes) in the starter's
    order and ``seed``, ``num_samples``, ``guidance_scale`` by name where it has them."""
    name = "TimeConditionalFM" if c is None else "ClassConditionalFM"
    module = _need(ns, name)
    settings = [("num_ts", int(spec.num_ts))] + ([] if c is None else [("p_uncond", spec.p_uncond)])
    try:
        params = set(inspect.signature(module).parameters)
    except (TypeError, ValueError):
        params = set()
    if all(key in params for key, _ in settings):
        model = module(spy, **dict(settings))
    else:
        model = module(spy, *(value for _, value in settings))
    torch.manual_seed(case.seed)
    with rng_tap.recording() as draws:
        if case.method == "forward":
            out = model(inputs[case.x].clone()) if c is None else model(inputs[case.x].clone(), c)
        elif c is None:
            out, _ = call_binding.call_accepting(model.sample, [(28, 28)], {"seed": case.seed,
                                                                          "num_samples": case.num_samples})
        else:
            out, _ = call_binding.call_accepting(model.sample, [c, (28, 28)], {"guidance_scale": case.guidance_scale,
                                                                             "seed": case.seed})
    return _result(out, case.method == "forward", spy, draws)


def _flow_case(ns: dict[str, Any], case: FlowCase, inputs: dict[str, torch.Tensor], spy: spies.SpyUNet,
               num_ts: int) -> tuple[dict[str, Any], dict[str, Any]]:
    kind = case.kind
    fn = _need(ns, kind)
    optional: dict[str, Any] = {}
    if kind == "time_fm_forward":
        positional = [("unet", spy), ("x_1", inputs[case.x].clone()), ("num_ts", num_ts)]
    elif kind == "class_fm_forward":
        positional = [("unet", spy), ("x_1", inputs[case.x].clone()), ("c", inputs[case.c].clone()),
                      ("p_uncond", case.p_uncond), ("num_ts", num_ts)]
    elif kind == "time_fm_sample":
        positional = [("unet", spy), ("img_wh", tuple(case.img_wh)), ("num_ts", num_ts)]
        optional = {"seed": case.seed, "num_samples": case.num_samples}
    else:
        positional = [("unet", spy), ("c", inputs[case.c].clone()), ("img_wh", tuple(case.img_wh)), ("num_ts", num_ts)]
        optional = {"guidance_scale": case.guidance_scale, "seed": case.seed}
    args, kwargs, _ = call_binding.bind_call(fn, SIGNATURES[kind], positional, optional, {"device": ns.get("device")})
    torch.manual_seed(case.seed)
    with rng_tap.recording() as draws:
        out = fn(*args, **kwargs)
    tensors, meta = _result(out, kind.endswith("forward"), spy, draws)
    meta["unpassed"] = sorted(k for k in optional if k not in kwargs)
    return tensors, meta


def _result(out: Any, is_loss: bool, spy: spies.SpyUNet, draws: list[torch.Tensor]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record of one call: the loss, or the images (a tensor, or the first item of ``(images, frames)``)."""
    tensors: dict[str, Any] = {**_trace(spy), **rng_tap.stack_draws(draws)}
    meta: dict[str, Any] = {"calls": len(spy.calls)}
    if is_loss:
        tensors["loss"] = out
        return tensors, meta
    images = out[0] if isinstance(out, (tuple, list)) and out else out
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"the sampler must return the images (a tensor) or (images, frames), got {type(out).__name__}")
    tensors["images"] = images
    meta["returned"] = "tuple" if isinstance(out, (tuple, list)) else "tensor"
    return tensors, meta
