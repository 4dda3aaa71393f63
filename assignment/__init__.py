from .part_a_setup import setup_part_a  # noqa: F401  (light: heavy modules load inside the function)
