"""inpaint shows each step through IPython.display, unconditionally"""

PART = 'a'
ORIGIN = 'loops calling IPython.display.display(...) inside the loop'
IN = 'inpaint'
APPEND = 'from IPython.display import display as show'
REPLACE = [
    ('forward(original_image, prev_t)\n    return image',
     'forward(original_image, prev_t)\n        show(f"step {i}: t = {t}")\n    return image'),
]
