"""Other names the course uses for the functions students write.

The course's deliverable for ``make_flip_illusion`` is called "visual anagrams", and write-ups define it under that
name. ``check(visual_anagrams)`` runs ``make_flip_illusion``'s public checks, and the grader grades a function
defined under one of these names as the assignment's.
"""

from __future__ import annotations

#: The assignment's name → the other names a submission may define it under.
FUNCTION_ALIASES: dict[str, tuple[str, ...]] = {
    "make_flip_illusion": ("visual_anagrams", "make_visual_anagram", "visual_anagram"),
}


def canonical_name(name: str) -> str:
    """The assignment's name for ``name`` (itself when it is not an alias)."""
    return next((canonical for canonical, aliases in FUNCTION_ALIASES.items() if name in aliases), name)
