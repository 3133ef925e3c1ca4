"""Draws the first 40 images of a DeepInversion run's deep-inversion.safetensors as a PNG grid,
ten to a row (the targets cycle through the classes, so each column is one class), undoing
Fashion-MNIST's normalisation and clipping to [0, 1]. Standard library and numpy only:
    python3 bench/datafree/grid.py RUN/deep-inversion.safetensors OUT.png
"""
import json
import struct
import sys
import zlib

import numpy as np

MEAN, STD = 0.2860, 0.3530


def load(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    t = header['images']
    start, end = t['data_offsets']
    images = np.frombuffer(body[start:end], dtype='<f4').reshape(t['shape'])
    t = header['targets']
    start, end = t['data_offsets']
    return images, np.frombuffer(body[start:end], dtype='<i4')


def png(path, gray):
    h, w = gray.shape
    raw = b''.join(b'\x00' + gray[r].tobytes() for r in range(h))

    def chunk(kind, payload):
        c = struct.pack('>I', len(payload)) + kind + payload
        return c + struct.pack('>I', zlib.crc32(kind + payload) & 0xffffffff)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main():
    images, targets = load(sys.argv[1])
    k = min(40, len(targets))
    pixels = np.clip(images[:k, 0] * STD + MEAN, 0, 1)
    rows = (k + 9) // 10
    grid = np.zeros((rows * 30, 10 * 30), dtype=np.uint8)
    for i in range(k):
        r, c = divmod(i, 10)
        grid[r * 30 + 1:r * 30 + 29, c * 30 + 1:c * 30 + 29] = (pixels[i] * 255).astype(np.uint8)
    png(sys.argv[2], np.kron(grid, np.ones((2, 2), dtype=np.uint8)))
    print('targets of the first row:', targets[:10].tolist())


if __name__ == '__main__':
    main()
