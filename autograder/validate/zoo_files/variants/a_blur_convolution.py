"""gaussian_denoise as a zero-padded depthwise convolution with a hand-built kernel"""

PART = 'a'
IN = 'gaussian_denoise'
REPLACE = [
    ('return TF.gaussian_blur(im_noisy, [kernel_size, kernel_size], [sigma, sigma])',
     'coords = torch.arange(kernel_size, dtype=im_noisy.dtype, device=im_noisy.device) - (kernel_size - 1) / 2\n    g = torch.exp(-coords ** 2 / (2 * sigma ** 2))\n    g = g / g.sum()\n    kernel = (g[:, None] * g[None, :]).expand(im_noisy.shape[1], 1, kernel_size, kernel_size)\n    return torch.nn.functional.conv2d(im_noisy, kernel, padding=kernel_size // 2, groups=im_noisy.shape[1])'),
]
