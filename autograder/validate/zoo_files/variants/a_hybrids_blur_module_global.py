"""make_hybrids filters with a torchvision GaussianBlur module built once at the top level, through helpers"""

PART = 'a'
ORIGIN = ("submissions building `blur = T.GaussianBlur(33, 2)` in a top-level cell and calling it from small "
          "lowpass/highpass helpers inside the loop")
IN = 'make_hybrids'
APPEND = ('import torchvision.transforms as T\n'
          'hybrid_blur = T.GaussianBlur(kernel_size=33, sigma=2)\n\n\n'
          'def lowpass(x):\n    return hybrid_blur(x)\n\n\n'
          'def highpass(x):\n    return x - lowpass(x)\n')
REPLACE = [
    ('        low_1 = TF.gaussian_blur(noise_1, [kernel_size, kernel_size], [sigma, sigma])\n'
     '        high_2 = noise_2 - TF.gaussian_blur(noise_2, [kernel_size, kernel_size], [sigma, sigma])',
     '        low_1 = lowpass(noise_1)\n        high_2 = highpass(noise_2)'),
]
