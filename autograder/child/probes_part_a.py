"""Part A probes: call the student's sampling functions on the tiny IF pipeline and record what happened.

The given names come from ``assignment.setup_part_a("tiny")``. ``add_variance`` and ``stage_1.unet`` are
wrapped so that every call is recorded (inputs and outputs); Gaussian draws are recorded by :mod:`rng_tap`.
The grader re-derives every step in its own process from these records.
"""

from __future__ import annotations

from typing import Any

import call_binding
import protocol
import records
import rng_tap
import torch
from cases import INPUT_PREFIX, CallCase, CallSpec, receives

_log: dict[str, list[dict[str, torch.Tensor]]] | None = None
_given: dict[str, Any] = {}


def given_names(task: dict[str, Any], device: str, dtype: torch.dtype) -> dict[str, Any]:
    """The course's setup-cell names, bound to the tiny random IF pipeline, with recording wrappers."""
    from assignment import setup_part_a

    given = setup_part_a("tiny", device, tiny_size=protocol.PART_A_SIZE)
    stage_1 = given["stage_1"]
    add_variance = given["add_variance"]

    def recorded_add_variance(predicted_variance: torch.Tensor, t: Any, image: torch.Tensor, *extra: Any,
                              **extra_named: Any) -> torch.Tensor:
        """The given ``add_variance``, recorded. Extra arguments are ignored: some course offerings' helper also
        took ``stage_1`` or the scheduler (``add_variance(v, t, image, stage_1)``), and submissions call it so."""
        out = add_variance(predicted_variance, t, image)
        if _log is not None and len(_log["av"]) < 400:
            _log["av"].append({"var": _cpu(predicted_variance), "t": torch.tensor(float(_scalar(t))),
                               "image": _cpu(image), "out": _cpu(out)})
        return out

    unet_forward = stage_1.unet.forward

    def recorded_unet(sample: torch.Tensor, timestep: Any, *args: Any, **kwargs: Any) -> Any:
        if _log is not None and len(_log["unet"]) < 400:
            _log["unet"].append({"x": _cpu(sample), "t": torch.tensor(float(_scalar(timestep)))})
        return unet_forward(sample, timestep, *args, **kwargs)

    stage_1.unet.forward = recorded_unet
    given["add_variance"] = recorded_add_variance
    given["strided_timesteps"] = list(protocol.PART_A_TIMESTEPS)  # what every graded call passes as timesteps
    _given.update(given)
    return given


@receives(CallSpec)
def run_calls(ns: dict[str, Any], spec: CallSpec, inputs: dict[str, torch.Tensor], rec: records.Recorder) -> None:
    """Each case calls ``case.fn``; arguments written ``"@name"`` (``cases.input_ref``) are input tensors, others
    are passed as they are (ints, lists, floats)."""
    device = _given["device"]
    for case in spec.cases:
        rec.run(case.key, lambda case=case: _call(ns, case, inputs, device))


#: The assignment's parameter names of each function (positional, then optional keywords).
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "forward": (("im", "t"), ()),
    "gaussian_denoise": (("im_noisy", "kernel_size", "sigma"), ()),
    "one_step_denoise": (("im_noisy", "t", "prompt_embeds"), ()),
    "iterative_denoise": (("im_noisy", "i_start", "prompt_embeds", "timesteps"), ("display",)),
    "iterative_denoise_cfg": (("im_noisy", "i_start", "prompt_embeds", "uncond_prompt_embeds", "timesteps"), ("scale", "display")),
    "sdedit": (("im", "i_start", "prompt_embeds", "uncond_prompt_embeds", "timesteps"), ("scale", "display")),
    "inpaint": (("original_image", "mask", "prompt_embeds", "uncond_prompt_embeds", "timesteps"), ("scale", "display")),
    "make_flip_illusion": (("image", "i_start", "prompt_embeds_1", "prompt_embeds_2", "uncond_prompt_embeds", "timesteps"),
                           ("scale", "display")),
    "make_hybrids": (("image", "i_start", "prompt_embeds_1", "prompt_embeds_2", "uncond_prompt_embeds", "timesteps"),
                     ("scale", "kernel_size", "sigma", "display")),
}


def find_function(ns: dict[str, Any], name: str) -> Any:
    """The student's ``name``, or the same function under one of the course's other names."""
    for candidate in (name, *call_binding.FUNCTION_ALIASES.get(name, ())):
        if callable(ns.get(candidate)):
            return ns[candidate]
    raise NameError(f"{name} is not defined in the submission")


def signature_text(name: str) -> str:
    """``name(a, b, c=…)`` as the assignment writes it."""
    positional, optional = SIGNATURES.get(name, ((), ()))
    return f"{name}({', '.join(positional + tuple(f'{o}=…' for o in optional))})"


def _call(ns: dict[str, Any], case: CallCase, inputs: dict[str, torch.Tensor], device: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    global _log
    fn = find_function(ns, case.fn)

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(INPUT_PREFIX):
            return inputs[value[len(INPUT_PREFIX):]].clone().to(device)
        return value

    names, optional_names = SIGNATURES[case.fn]
    values = [resolve(a) for a in case.args]
    optional = {k: resolve(v) for k, v in case.kwargs.items()}
    if "display" in optional_names:
        optional["display"] = False
    args, kwargs, bound_notes, from_noise = _bind(fn, case.fn, list(zip(names, values)), optional)
    saved = {name: ns.get(name) for name in ("forward", "iterative_denoise_cfg")}
    stub_calls: list[dict[str, Any]] = []
    if case.grader_forward:
        ns["forward"] = _shaped_like(saved["forward"], _grader_forward)
    if case.stub_cfg:
        def cfg_stub(*a: Any, **k: Any) -> torch.Tensor:
            stub_calls.append({"args": a, "kwargs": k})
            first = a[0] if a else next((v for v in k.values() if isinstance(v, torch.Tensor)), None)
            return torch.full_like(first, 0.125)
        ns["iterative_denoise_cfg"] = _shaped_like(saved["iterative_denoise_cfg"], cfg_stub)
    torch.manual_seed(int(case.seed))
    _log = {"av": [], "unet": []}
    try:
        with rng_tap.recording() as draws:
            out = fn(*args, **kwargs)
    finally:
        log, _log = _log, None
        ns.update(saved)
    meta: dict[str, Any] = {"av_calls": len(log["av"]), "unet_calls": len(log["unet"]), "bound": bound_notes,
                            "no_i_start": from_noise}
    if isinstance(out, (tuple, list)) and out and _is_array(out[0]):
        meta["returned_tuple"] = len(out)  # (image, intermediates): the image is graded
        out = out[0]
    meta["numpy"] = type(out).__module__ == "numpy"
    tensors: dict[str, Any] = {"out": out, **rng_tap.stack_draws(draws)}
    for i, call in enumerate(log["av"]):
        for name, value in call.items():
            tensors[f"av_{i:03d}_{name}"] = value
    for i, call in enumerate(log["unet"]):
        for name, value in call.items():
            tensors[f"unet_{i:03d}_{name}"] = value
    if case.stub_cfg:
        meta["cfg_calls"] = len(stub_calls)
        if stub_calls:
            call = stub_calls[0]
            cfg_positional, cfg_optional = SIGNATURES["iterative_denoise_cfg"]
            bound = dict(zip(cfg_positional + cfg_optional, call["args"]))
            bound.update(call["kwargs"])
            for alias in call_binding.ALIASES["scale"]:
                if alias in bound:
                    bound.setdefault("scale", bound[alias])
            tensors["cfg_im_noisy"] = bound.get("im_noisy")
            tensors["cfg_prompt_embeds"] = bound.get("prompt_embeds")
            tensors["cfg_uncond_prompt_embeds"] = bound.get("uncond_prompt_embeds")
            meta["cfg_i_start"] = _plain(bound.get("i_start"))
            meta["cfg_timesteps"] = _plain(bound.get("timesteps"))
            meta["cfg_scale"] = _plain(bound.get("scale", 7))
    return tensors, meta


#: The loops that the course always starts from pure noise; some submissions' versions have no ``i_start``.
STARTS_FROM_NOISE = ("make_flip_illusion", "make_hybrids")


def _bind(fn: Any, name: str, positional: list[tuple[str, Any]],
          optional: dict[str, Any]) -> tuple[list[Any], dict[str, Any], list[str], bool]:
    """:func:`call_binding.bind_call` with the assignment's arguments; an illusion whose parameter list has no room
    for ``i_start`` (``visual_anagrams(image, prompt_embeds_1, …)``, looping from ``timesteps[0]``) is called
    without it. The last item says so: the grader then expects the loop to start at ``timesteps[0]``."""
    objects = call_binding.given_objects(_given)
    try:
        return (*call_binding.bind_call(fn, signature_text(name), positional, optional, objects), False)
    except call_binding.SignatureMismatch as first:
        if name not in STARTS_FROM_NOISE:
            raise
        without = [(n, v) for n, v in positional if n != "i_start"]
        try:
            args, kwargs, notes = call_binding.bind_call(fn, signature_text(name), without, optional, objects)
        except call_binding.SignatureMismatch:
            raise first from None
        return args, kwargs, notes + ["no i_start parameter: the loop starts at timesteps[0]"], True


def _shaped_like(student: Any, stub: Any) -> Any:
    """``stub``, returning what the student's own function returns in form: a submission whose ``forward`` returns
    ``(x_t, noise)`` (or whose loop returns ``(image, intermediates)``) unpacks the stand-in the same way in its
    ``sdedit``/``inpaint``. The form is read from the function's ``return`` statements; extra items after the
    image are the noise just drawn (for ``forward``) or empty lists."""
    size = _tuple_return_size(student)
    if size < 2:
        return stub

    def stub_as_tuple(*a: Any, **k: Any) -> tuple[Any, ...]:
        if stub is _grader_forward:
            image, noise = _forward_parts(*a, **k)
            return (image, *[noise] * (size - 1))
        return (stub(*a, **k), *[[] for _ in range(size - 1)])

    return stub_as_tuple


def _tuple_return_size(fn: Any) -> int:
    """The length of the tuple every ``return`` of ``fn`` writes out (``return x, noise``), or 0."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except Exception:  # not a function with source (None, a builtin, an odd object): no tuple form known
        return 0
    outer = tree.body[0] if tree.body else None
    returns = [n for n in ast.walk(outer) if isinstance(n, ast.Return) and n.value is not None
               and _enclosing_def(outer, n) is outer] if outer is not None else []
    sizes = {len(r.value.elts) if isinstance(r.value, ast.Tuple) else 0 for r in returns}
    return sizes.pop() if len(sizes) == 1 else 0


def _enclosing_def(root: Any, target: Any) -> Any:
    """The innermost function definition under ``root`` (or ``root``) that contains ``target``."""
    import ast

    found = root
    for node in ast.walk(root):
        if node is not root and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if any(child is target for child in ast.walk(node)):
                found = node
    return found


def _is_array(value: Any) -> bool:
    return isinstance(value, torch.Tensor) or type(value).__module__ == "numpy"


def _grader_forward(im: torch.Tensor, t: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
    """The forward process, as SPEC §2 states it (used so sdedit/inpaint are graded apart from forward); extra
    arguments (a student's ``alphas_cumprod`` …) are ignored."""
    return _forward_parts(im, t)[0]


def _forward_parts(im: torch.Tensor, t: Any, *args: Any, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x_t, ε)``: :func:`_grader_forward` and the noise it drew."""
    alpha_bar = _given["stage_1"].scheduler.alphas_cumprod[int(_scalar(t))].to(im.device, im.dtype)
    noise = torch.randn_like(im)
    return alpha_bar.sqrt() * im + (1 - alpha_bar).sqrt() * noise, noise


def _cpu(value: Any) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        return torch.as_tensor(value, dtype=torch.float32)
    with torch._C.DisableTorchFunctionSubclass():
        return value.detach().to("cpu", torch.float32).clone()


def _scalar(value: Any) -> float:
    if isinstance(value, torch.Tensor):
        return float(value.reshape(-1)[0])
    return float(value)


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.tolist() if value.numel() < 100 else f"<tensor {list(value.shape)}>"
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value][:200]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return f"<{type(value).__name__}>"
