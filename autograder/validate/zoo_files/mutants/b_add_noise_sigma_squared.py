"""add_noise scales the noise by σ²"""

PART = 'b'
IN = 'add_noise'
TARGET = 'add_noise:'
SPEC_LINE = 'missing square roots'
REPLACE = [
    ('return x + sigma * eps',
     'return x + sigma ** 2 * eps'),
]
