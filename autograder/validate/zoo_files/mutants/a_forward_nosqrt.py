"""forward forgets the square roots"""

PART = 'a'
IN = 'forward'
TARGET = 'forward:'
SPEC_LINE = 'missing square roots'
REPLACE = [
    ('return alpha_cumprod.sqrt() * im + (1 - alpha_cumprod).sqrt() * noise',
     'return alpha_cumprod * im + (1 - alpha_cumprod) * noise'),
]
