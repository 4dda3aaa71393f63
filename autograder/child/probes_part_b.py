"""Part B probes: what the child runs for each Part B test group (never what it expects).

Each ``run_*`` function takes the submission's namespace, the group's spec (JSON, received as its typed
:mod:`cases` spec), its input tensors and a :class:`records.Recorder`, calls the student's code, and records
outputs, traces of the stand-in UNet and the Gaussian noise drawn.
"""

from __future__ import annotations

import inspect
from typing import Any

import call_binding
import layers
import numpy as np
import records
import rng_tap
import spies
import torch
from cases import (
    AddNoiseCase,
    AddNoiseSpec,
    DDPMCase,
    DDPMModuleCase,
    DDPMModuleSpec,
    DDPMSpec,
    ModelCase,
    ModelSpec,
    ScheduleCase,
    ScheduleSpec,
    TrainingCase,
    TrainingSpec,
    receives,
)


def given_names(task: dict[str, Any], device: str, dtype: torch.dtype) -> dict[str, Any]:
    """Part B's notebooks only use ``device`` from the setup cells."""
    return {"device": device}


@receives(ModelSpec)
def run_models(ns: dict[str, Any], spec: ModelSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """Build each case's module, describe its layers, load the reference's weights and run its forward calls."""
    for case in spec.cases:
        rec.run(case.key, lambda case=case: _model_case(ns, case, inputs))


@receives(AddNoiseSpec)
def run_add_noise(ns: dict[str, Any], spec: AddNoiseSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """``add_noise(x, sigma)`` for each case, with the noise it drew."""
    for case in spec.cases:
        def call(case: AddNoiseCase = case) -> tuple[dict[str, Any], dict[str, Any]]:
            fn = _need(ns, "add_noise")
            with rng_tap.recording() as draws:
                z = fn(inputs[case.x].clone(), case.sigma)
            return {"z": z, **rng_tap.stack_draws(draws)}, {}

        rec.run(case.key, call)


@receives(ScheduleSpec)
def run_schedule(ns: dict[str, Any], spec: ScheduleSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """``ddpm_schedule(beta1, beta2, num_ts)`` for each case."""
    for case in spec.cases:
        def call(case: ScheduleCase = case) -> tuple[dict[str, Any], dict[str, Any]]:
            out = _need(ns, "ddpm_schedule")(case.beta1, case.beta2, case.num_ts)
            if not isinstance(out, dict):
                raise TypeError(f"ddpm_schedule must return a dict, got {type(out).__name__}")
            return {k: out[k] for k in ("betas", "alphas", "alpha_bars") if k in out}, {"keys": sorted(map(str, out))}

        rec.run(case.key, call)


@receives(DDPMSpec)
def run_ddpm(ns: dict[str, Any], spec: DDPMSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """Training losses and sampling loops on the stand-in UNet, with its call trace and the noise drawn."""
    T = int(spec.num_ts)
    schedule = _in_students_format(ns, {k: inputs[k].clone() for k in ("betas", "alphas", "alpha_bars")}, T)
    for case in spec.cases:
        spy = spies.SpyUNet(conditional=spec.conditional)
        rec.run(case.key, lambda case=case, spy=spy: _ddpm_case(ns, case, inputs, spy, schedule, T))


@receives(DDPMModuleSpec)
def run_ddpm_class(ns: dict[str, Any], spec: DDPMModuleSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """The ``DDPM`` module: its wiring to the four DDPM functions (with recording stand-ins), then for real."""
    schedule = {k: inputs[k].clone() for k in ("betas", "alphas", "alpha_bars")}
    T = int(spec.num_ts)
    DDPM = _need(ns, "DDPM")
    sentinel = torch.full((), 12345.0)
    calls: list[dict[str, Any]] = []

    def stub(name: str) -> Any:
        def fn(*args: Any, **kwargs: Any) -> Any:
            calls.append({"fn": name, "args": args, "kwargs": kwargs})
            if name.startswith("ddpm_schedule"):
                return {k: v.clone() for k, v in schedule.items()}
            if name.startswith("ddpm_sample"):
                return sentinel.clone().expand(3, 1, 28, 28).clone(), [sentinel.clone()]
            return sentinel.clone()
        return fn

    real = {n: ns.get(n) for n in ("ddpm_schedule", "ddpm_forward", "ddpm_sample", "ddpm_forward_cond", "ddpm_sample_cond")}
    for case in spec.cases:
        def wired(case: DDPMModuleCase = case) -> tuple[dict[str, Any], dict[str, Any]]:
            calls.clear()
            for name in real:
                ns[name] = stub(name)
            try:
                spy = spies.SpyUNet(conditional=case.c is not None)
                model = DDPM(spy, betas=tuple(spec.betas), num_ts=T, p_uncond=spec.p_uncond)
                out, unpassed = _call_ddpm(model, case, inputs)
            finally:
                ns.update(real)
            result = out[0] if isinstance(out, tuple) else out
            described = [_describe_call(c, spy, inputs) for c in calls]
            return {"out": result}, {"calls": described, "unpassed": unpassed}

        rec.run(case.key + "_wired", wired)

        def actual(case: DDPMModuleCase = case) -> tuple[dict[str, Any], dict[str, Any]]:
            spy = spies.SpyUNet(conditional=case.c is not None)
            model = DDPM(spy, betas=tuple(spec.betas), num_ts=T, p_uncond=spec.p_uncond)
            with rng_tap.recording() as draws:
                out, unpassed = _call_ddpm(model, case, inputs)
            tensors = {**_trace(spy), **rng_tap.stack_draws(draws)}
            if case.method == "sample":
                tensors["images"] = out[0] if isinstance(out, (tuple, list)) else out
            else:
                tensors["loss"] = out
            return tensors, {"calls": len(spy.calls), "unpassed": unpassed}

        rec.run(case.key + "_real", actual)


@receives(TrainingSpec)
def run_training(ns: dict[str, Any], spec: TrainingSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """A short CPU training run of the student's UNet with the grader's own loop and noise; records losses."""
    for case in spec.cases:
        rec.run(case.key, lambda case=case: _train_case(ns, case, inputs))


# ------------------------------------------------------------------------------------------ helpers


def _need(ns: dict[str, Any], name: str) -> Any:
    if name not in ns:
        raise NameError(f"{name} is not defined in the submission")
    return ns[name]


def _model_case(ns: dict[str, Any], case: ModelCase, inputs: dict[str, torch.Tensor]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the student's module, describe its layers, share the reference's weights where the parameter shapes
    allow it, and run each call.

    Weights are shared whenever the parametric layers' parameter shapes agree in forward order, even when a layer's
    configuration differs (a stride that cannot matter on a 1 × 1 map, a bias left out): the grader then judges
    the outputs. Each call that raises is tried once more with the other accepted form of ``t`` (``[N]`` ↔
    ``[N, 1]``) and of ``c`` (indices ↔ one-hot); a call that still raises is recorded as ``error_i``. Output
    shapes are recorded even when weights could not be shared (the shape test needs no weights).
    """
    torch.manual_seed(0)
    model = _build(_need(ns, case.name), list(case.args))
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{case.name}(...) must build a torch.nn.Module, got {type(model).__name__}")
    meta: dict[str, Any] = {
        "params": int(sum(p.numel() for p in model.parameters())),
        "counts": layers.layer_counts(model),
    }
    if case.count_only:
        return {}, meta
    calls = case.calls
    model.train()
    first_call = _first_working_call(model, calls[0], inputs)[0] if calls else []
    plan, unused = layers.layer_plan(model, lambda: model(*[a.clone() for a in first_call]))
    meta["signatures"] = layers.plan_signatures(plan)
    meta["unused"] = unused
    weights = {k[len(case.weights):]: v for k, v in inputs.items() if k.startswith(case.weights)}
    shared = meta["signatures"] == list(case.signatures)
    if not shared and len(plan) == len(case.signatures):
        try:
            layers.load_plan_weights(plan, weights)
            shared = True
            meta["signatures_differ"] = True  # same parameter shapes: the outputs decide
        except (KeyError, ValueError):
            shared = False
    elif shared:
        layers.load_plan_weights(plan, weights)
    meta["weights_shared"] = shared
    outputs: dict[str, Any] = {}
    shapes, errors, forms = [], {}, []
    for i, keys in enumerate(calls):
        model.train()
        try:
            _, form, out = _first_working_call(model, keys, inputs)
        except Exception as error:  # this call's failure is its own record entry, not the whole case's
            errors[str(i)] = records.describe_error(error)
            shapes.append(None)
            forms.append(None)
            continue
        forms.append(form)
        shapes.append(list(out.shape) if isinstance(out, torch.Tensor) else None)
        if shared:
            outputs[f"out_{i}"] = out
    meta["shapes"] = shapes
    meta["call_errors"] = errors
    meta["forms"] = forms
    return outputs, meta


def _build(cls: Any, args: list[Any], seed: int = 0) -> Any:
    """``cls(*args)``; when that raises a ``TypeError`` and the constructor's required parameters say why, the
    assignment's arguments in the form it takes: the last channel count repeated for one more ``…channels``
    parameter (an ``Unflatten(in_channels, out_channels)``: the two counts are equal in the assignment), or the
    unused ``num_classes`` (the middle of ``(in_channels, num_classes, num_hiddens)``) left out of a
    ``TimeConditionalUNet(in_channels, num_hiddens)``, built again from ``seed``. Any other error is the first call's."""
    try:
        return cls(*args)
    except TypeError as error:
        try:
            params = [p.name for p in inspect.signature(cls).parameters.values()
                      if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            raise error from None
        if args and len(params) == len(args) + 1 and "channel" in params[-1]:
            retry = [*args, args[-1]]
        elif len(args) == 3 and len(params) == 2 and "num_classes" not in params and "hidden" in params[-1]:
            retry = [args[0], args[2]]
        else:
            raise
        torch.manual_seed(seed)
        return cls(*retry)


def _first_working_call(model: torch.nn.Module, keys: list[str],
                        inputs: dict[str, torch.Tensor]) -> tuple[list[torch.Tensor], str, Any]:
    """``(args, form, output)`` of the first call (training mode, no grad) that works: the inputs ``keys`` as given,
    or with ``t``, ``c`` and/or the mask in their other accepted form (a mask ``[N]`` also as a column ``[N, 1]``)
    when the first raises or returns a tensor whose shape is not the input's; raises the first form's error when no
    form works."""
    args = [inputs[k] for k in keys]
    alternatives = [("as given", args)]
    swapped = {".t": ".t_col", ".t_col": ".t", ".c": ".c1h", ".c1h": ".c", ".mask": ".mask_col"}
    other = []
    for key in keys:
        suffix = "." + key.rsplit(".", 1)[-1]
        other.append(key.rsplit(".", 1)[0] + swapped[suffix] if suffix in swapped else key)
    if other != list(keys) and all(k in inputs for k in other):
        alternatives.append(("other form of t/c", [inputs[k] for k in other]))
        for j, (a, b) in enumerate(zip(keys, other)):  # only one of t and c changed
            if a != b:
                single = list(keys)
                single[j] = b
                alternatives.append(("other form of one argument", [inputs[k] for k in single]))
    first_error: Exception | None = None
    expected_shape = tuple(args[0].shape) if args and args[0].dim() == 4 else None
    ran: list[tuple[list[torch.Tensor], str, Any]] = []
    for form, candidate in alternatives:
        try:
            model.train()
            with torch.no_grad():
                out = model(*[a.clone() for a in candidate])
        except Exception as error:
            first_error = first_error or error
            continue
        if expected_shape is None or (isinstance(out, torch.Tensor) and tuple(out.shape) == expected_shape):
            return candidate, form, out
        ran.append((candidate, form, out))
    if ran:
        return ran[0]
    raise first_error if first_error is not None else TypeError("the model could not be called")


def _ddpm_case(ns: dict[str, Any], case: DDPMCase | dict[str, Any], inputs: dict[str, torch.Tensor], spy: spies.SpyUNet,
               schedule: dict[str, torch.Tensor], T: int) -> tuple[dict[str, Any], dict[str, Any]]:
    if isinstance(case, dict):  # the trace tests call this helper with a case's JSON
        case = DDPMCase.from_json(case)
    kind = case.kind
    fn = _need(ns, kind)
    if kind == "ddpm_forward":
        positional = [("unet", spy), ("ddpm_schedule", schedule), ("x_0", inputs[case.x].clone()), ("num_ts", T)]
        optional: dict[str, Any] = {}
    elif kind == "ddpm_forward_cond":
        positional = [("unet", spy), ("ddpm_schedule", schedule), ("x_0", inputs[case.x].clone()),
                      ("c", inputs[case.c].clone()), ("p_uncond", case.p_uncond), ("num_ts", T)]
        optional = {}
    elif kind == "ddpm_sample":
        positional = [("unet", spy), ("ddpm_schedule", schedule), ("img_wh", tuple(case.img_wh)), ("num_ts", T)]
        optional = {"seed": case.seed, "num_samples": case.num_samples}
    else:
        positional = [("unet", spy), ("ddpm_schedule", schedule), ("c", inputs[case.c].clone()),
                      ("img_wh", tuple(case.img_wh)), ("num_ts", T)]
        optional = {"guidance_scale": case.guidance_scale, "seed": case.seed}
    signature = f"{kind}({', '.join([n for n, _ in positional] + [f'{k}=…' for k in optional])})"
    args, kwargs, _ = call_binding.bind_call(fn, signature, positional, optional, {"device": ns.get("device")})
    torch.manual_seed(case.seed)
    with rng_tap.recording() as draws:
        out = fn(*args, **kwargs)
    tensors = {**_trace(spy), **rng_tap.stack_draws(draws)}
    meta: dict[str, Any] = {"calls": len(spy.calls), "unpassed": sorted(k for k in optional if k not in kwargs)}
    if kind.startswith("ddpm_forward"):
        tensors["loss"] = out
    else:
        if isinstance(out, (torch.Tensor, np.ndarray)):  # the course starter's "-> torch.Tensor": the images alone
            tensors["images"] = out
            meta["frames_returned"] = False
        elif isinstance(out, (tuple, list)) and len(out) == 2:
            tensors["images"] = out[0]
            meta["frames"], meta["frame_shapes_ok"] = _frames_meta(out[1], tuple(out[0].shape))
        else:
            raise TypeError(f"{kind} must return the images or (images, frames), got {type(out).__name__}")
    return tensors, meta


def _frames_meta(frames: Any, shape: tuple[int, ...]) -> tuple[int, bool]:
    """``(number of snapshots, whether each is an [N, C, H, W] image batch)`` of a sampler's frames: a list or tuple
    of tensors or numpy arrays, or the snapshots stacked into one ``[N, T, C, H, W]`` (the course starter's
    "caches") or ``[T, N, C, H, W]`` tensor or array; ``(-1, False)`` for anything else."""
    if isinstance(frames, (list, tuple)):
        return len(frames), all(hasattr(f, "shape") and tuple(f.shape) == shape for f in frames)
    stacked = tuple(getattr(frames, "shape", ()))
    if len(stacked) == len(shape) + 1 and len(shape) == 4:
        if stacked[:1] + stacked[2:] == shape:  # [N, T, C, H, W]
            return stacked[1], True
        if stacked[1:] == shape:  # [T, N, C, H, W]
            return stacked[0], True
    return -1, False


def _in_students_format(ns: dict[str, Any], schedule: dict[str, torch.Tensor], T: int) -> dict[str, Any]:
    """The grader's schedule laid out as the submission's own ``ddpm_schedule`` lays it out, so that its loops can
    read it: the grader's ``betas``, ``alphas`` and ``alpha_bars`` (reshaped, and as numpy arrays, where the student's
    are) plus every extra entry the student's function returns (``alpha_bars_prev``, renamed copies…), computed by it.

    The values of the three entries are always the grader's, so a wrong schedule only costs the schedule test. When
    the student's ``ddpm_schedule`` is missing, raises or returns no dict, the grader's dict is used as it is.
    """
    fn = ns.get("ddpm_schedule")
    try:
        own = fn(float(schedule["betas"][0]), float(schedule["betas"][-1]), T) if callable(fn) else None
    except Exception:  # the schedule test reports it; the loops still get the grader's schedule
        own = None
    if not isinstance(own, dict):
        return schedule
    laid_out: dict[str, Any] = dict(own)
    for key, value in schedule.items():
        theirs = own.get(key)
        shape = tuple(getattr(theirs, "shape", ()))
        if theirs is None or int(np.prod(shape)) != value.numel():
            laid_out[key] = value
        elif isinstance(theirs, np.ndarray):
            laid_out[key] = value.detach().cpu().double().numpy().astype(theirs.dtype).reshape(shape)
        elif isinstance(theirs, torch.Tensor) and theirs.is_floating_point():
            laid_out[key] = value.to(theirs.dtype).reshape(shape).to(theirs.device)
        else:
            laid_out[key] = value
    return laid_out


def _trace(spy: spies.SpyUNet) -> dict[str, torch.Tensor]:
    tensors: dict[str, torch.Tensor] = {}
    for i, call in enumerate(spy.calls[:2000]):
        for name, value in call.items():
            tensors[f"call_{i:04d}_{name}"] = value
    return tensors


def _call_ddpm(model: Any, case: DDPMModuleCase, inputs: dict[str, torch.Tensor]) -> tuple[Any, list[str]]:
    """The module's output, and the keywords its ``sample`` has no parameter for (left out of the call)."""
    c = inputs[case.c].clone() if case.c else None
    if case.method == "forward":
        return (model(inputs[case.x].clone()) if c is None else model(inputs[case.x].clone(), c)), []
    if c is None:
        return call_binding.call_accepting(model.sample, [], {"img_wh": (28, 28), "seed": case.seed, "num_samples": case.num_samples})
    return call_binding.call_accepting(model.sample, [c], {"img_wh": (28, 28), "guidance_scale": case.guidance_scale, "seed": case.seed})


def _describe_call(call: dict[str, Any], spy: Any, inputs: dict[str, torch.Tensor]) -> dict[str, Any]:
    """A JSON description of a stubbed call: which function, and each argument summarised."""

    def summary(value: Any) -> Any:
        if value is spy:
            return "<unet>"
        if isinstance(value, torch.Tensor):
            for key, tensor in inputs.items():
                if tensor.shape == value.shape and torch.equal(tensor.cpu(), value.detach().cpu()):
                    return f"<input {key}>"
            return f"<tensor {list(value.shape)}>"
        if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "items") and hasattr(value, "__getitem__")):
            # a dict, or a dict-like module such as nn.ParameterDict (the course's DDPM keeps its schedule in one)
            return {str(k): summary(v) for k, v in value.items()} if len(value) < 10 else "<dict>"
        if isinstance(value, (list, tuple)):
            return [summary(v) for v in value][:10]
        if isinstance(value, (int, float, str, bool)) or value is None:
            return value
        return f"<{type(value).__name__}>"

    return {"fn": call["fn"], "args": [summary(a) for a in call["args"]],
            "kwargs": {k: summary(v) for k, v in call["kwargs"].items()}}


def _train_case(ns: dict[str, Any], case: TrainingCase, inputs: dict[str, torch.Tensor]) -> tuple[dict[str, Any], dict[str, Any]]:
    torch.manual_seed(case.seed)
    model = _build(_need(ns, case.name), list(case.args), case.seed)
    images = inputs[case.images]
    noise = inputs[case.noise]
    optimizer = torch.optim.Adam(model.parameters(), lr=case.lr)
    losses = []
    model.train()
    batch = case.batch
    column = False
    for step in range(case.steps):
        start = (step * batch) % images.shape[0]
        x = images[start:start + batch]
        eps = noise[step % noise.shape[0]][: x.shape[0]]
        if case.kind == "denoise":
            loss = torch.nn.functional.mse_loss(model(x + case.sigma * eps), x)
        else:
            t = ((torch.arange(x.shape[0]) * 7 + step * 13) % case.num_ts + 1).float()
            ab = inputs["alpha_bars"][t.long() - 1].view(-1, 1, 1, 1)
            x_t = ab.sqrt() * x + (1 - ab).sqrt() * eps
            t_in = t / case.num_ts
            if column:
                t_in = t_in[:, None]
            try:
                prediction = model(x_t, t_in)
            except Exception:
                if step or column:
                    raise
                column = True  # a UNet that takes t only as [N, 1] (SPEC §4): the same step with a column
                prediction = model(x_t, t_in[:, None])
            loss = torch.nn.functional.mse_loss(prediction, eps)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return {"losses": torch.tensor(losses)}, {}
