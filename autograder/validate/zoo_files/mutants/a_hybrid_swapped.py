"""low-pass taken of ε_2 and high-pass of ε_1"""

PART = 'a'
IN = 'make_hybrids'
TARGET = 'make_hybrids:'
SPEC_LINE = 'low/high-pass swapped'
REPLACE = [
    ('low_1 = TF.gaussian_blur(noise_1, [kernel_size, kernel_size], [sigma, sigma])',
     'low_1 = TF.gaussian_blur(noise_2, [kernel_size, kernel_size], [sigma, sigma])'),
    ('high_2 = noise_2 - TF.gaussian_blur(noise_2, [kernel_size, kernel_size], [sigma, sigma])',
     'high_2 = noise_1 - TF.gaussian_blur(noise_1, [kernel_size, kernel_size], [sigma, sigma])'),
]
