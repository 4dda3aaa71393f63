"""Make the course's display calls harmless while grading.

The course's starter loops default ``display=True`` and show progress every few steps with ``mediapy``
(``media.show_images``), matplotlib (``plt.imshow``/``plt.show``) or ``IPython.display``. The grader passes
``display=False`` where the parameter exists; this module covers the rest: matplotlib draws on the
non-interactive Agg backend and ``show``/``pause`` do nothing; ``mediapy``'s and ``IPython.display``'s show
functions do nothing; where those packages are not installed, stand-in modules with the same names are
registered so that ``import mediapy as media`` and ``from IPython.display import display`` still work.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from typing import Any

_MEDIAPY_SHOWS = ("show_image", "show_images", "show_video", "show_videos", "set_show_save_dir")
_IPYTHON_SHOWS = ("display", "clear_output", "display_png", "display_html", "display_markdown")


def _nothing(*args: Any, **kwargs: Any) -> None:
    """A display call while grading: does nothing."""
    return None


class _Anything:
    """Stand-in for display objects such as ``IPython.display.Image(...)``: builds, then does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return _nothing


def install() -> list[str]:
    """Silence display libraries in this process; returns the stand-in modules it had to register."""
    os.environ["MPLBACKEND"] = "Agg"  # any figure is drawn off-screen
    registered = []
    # Installed libraries are patched when (and only if) a submission imports them: importing matplotlib or IPython
    # costs about half a second each. Missing ones get a stand-in module now.
    _when_imported("matplotlib.pyplot", _silence_pyplot)
    for name, functions, classes in (("mediapy", _MEDIAPY_SHOWS, ()),
                                     ("IPython.display", _IPYTHON_SHOWS, ("Image", "HTML", "Markdown", "Video"))):
        if _installed(name):
            _when_imported(name, lambda module, functions=functions: _silence(module, functions))
        else:
            registered += _stand_in(name, functions, classes)
    return registered


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def _when_imported(name: str, patch: Any) -> None:
    """Run ``patch(module)`` on ``name`` now if it is imported, else right after its first import."""
    if name in sys.modules:
        patch(sys.modules[name])
    else:
        sys.meta_path.insert(0, _PatchOnImport(name, patch))


def _silence(module: types.ModuleType, functions: tuple[str, ...]) -> None:
    for function in functions:
        setattr(module, function, _nothing)


def _silence_pyplot(plt: types.ModuleType) -> None:
    plt.show = _nothing
    plt.pause = _nothing


class _PatchOnImport:
    """A meta-path finder that lets one module import normally, then patches it."""

    def __init__(self, name: str, patch: Any) -> None:
        self.name = name
        self.patch = patch

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        inner, patch = spec.loader, self.patch

        class Loader:
            def create_module(self, spec: Any) -> Any:
                return inner.create_module(spec)

            def exec_module(self, module: types.ModuleType) -> None:
                inner.exec_module(module)
                patch(module)

        spec.loader = Loader()
        return spec


def _stand_in(name: str, functions: tuple[str, ...], classes: tuple[str, ...] = ()) -> list[str]:
    """Register a module ``name`` (and its parent package) whose display functions do nothing."""
    module = types.ModuleType(name)
    module.__doc__ = f"stand-in for {name} while grading (display calls do nothing)"
    made = [name]
    parent_name, _, child = name.rpartition(".")
    if parent_name:
        parent = sys.modules.get(parent_name)
        if parent is None:
            parent = types.ModuleType(parent_name)
            sys.modules[parent_name] = parent
            made.append(parent_name)
        setattr(parent, child, module)
    sys.modules[name] = module
    _silence(module, functions)
    for cls in classes:
        setattr(module, cls, _Anything)
    module.__getattr__ = _any_helper
    return made


def _any_helper(attr: str) -> Any:
    """Module ``__getattr__`` of a stand-in: any public helper (``media.write_image`` …) is a no-op too."""
    if attr.startswith("_"):
        raise AttributeError(attr)
    return _nothing
