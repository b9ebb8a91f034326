"""Reader and writer for IDX files, the MNIST / Fashion-MNIST file format.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension,
then the array data in big-endian C order. The magic number is two zero
bytes, a type code (`0x08` unsigned byte, `0x09` signed byte, `0x0B` int16,
`0x0C` int32, `0x0D` float32, `0x0E` float64) and the number of dimensions:
`0x00000803` for a stack of images, `0x00000801` for a label vector.
Files may be gzip-compressed (detected from their content, not their name).
"""

import gzip
import os
import struct
import zlib

import numpy as np

from kerasgan.data.errors import IDXFormatError

_TYPE_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path, expected_ndim=None):
    """Reads an IDX file (plain or gzip) into a numpy array.

    Args:
        path: Path to the file, e.g. `"train-images-idx3-ubyte.gz"`.
        expected_ndim: If given, the number of dimensions the file must
            have (3 for images, 1 for labels).

    Returns:
        A writable numpy array in native byte order with the file's shape
        and dtype (`uint8` for MNIST-style files).

    Raises:
        IDXFormatError: if the file is not valid IDX: bad magic number,
            unknown type code, truncated or oversized data, wrong number of
            dimensions, or a corrupt gzip stream.

    Example:

    ```python
    images = read_idx("train-images-idx3-ubyte.gz", expected_ndim=3)
    images.shape  # (60000, 28, 28)
    ```
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    dtype, dims, offset = _parse_header(path, data)
    if expected_ndim is not None and len(dims) != expected_ndim:
        raise IDXFormatError(
            f"{path}: expected an IDX file with {expected_ndim} dimension(s), "
            f"got {len(dims)} dimension(s) with shape {dims}."
        )
    count = int(np.prod(dims, dtype=np.int64))
    _check_size(path, data, dims, dtype, offset, count)
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return array.reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Writes a numpy array as an IDX file (gzip-compressed if `.gz`).

    Args:
        path: Destination path; a name ending in `.gz` is gzip-compressed.
        array: Array of dtype uint8, int8, int16, int32, float32 or float64
            with at least one dimension.

    Example:

    ```python
    write_idx("labels-idx1-ubyte.gz", np.arange(10, dtype="uint8"))
    ```
    """
    array = np.asarray(array)
    code = _type_code(array.dtype)
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX arrays need 1 to 255 dimensions; got {array.ndim}.")
    header = bytes([0, 0, code, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(_TYPE_CODES[code]).tobytes()
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


def read_idx_images(images_path, labels_path=None, image_shape=None):
    """Reads an MNIST-style image file and, optionally, its label file.

    Args:
        images_path: IDX file of shape `(N, height, width)`.
        labels_path: Optional IDX file of shape `(N,)`.
        image_shape: Optional `(height, width)` the images must have.

    Returns:
        `(images, labels)`: uint8 images `(N, height, width)` and int64
        labels `(N,)`, or `None` for labels when `labels_path` is `None`.

    Example:

    ```python
    x, y = read_idx_images("t10k-images-idx3-ubyte.gz",
                           "t10k-labels-idx1-ubyte.gz", image_shape=(28, 28))
    ```
    """
    images = read_idx(images_path, expected_ndim=3)
    if image_shape is not None and images.shape[1:] != tuple(image_shape):
        raise IDXFormatError(
            f"{images_path}: expected images of shape {tuple(image_shape)}; "
            f"got an array of shape {images.shape}."
        )
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path, expected_ndim=1).astype(np.int64)
    if len(labels) != len(images):
        raise IDXFormatError(
            f"{labels_path}: {len(labels)} labels for {len(images)} images "
            f"in {images_path}."
        )
    return images, labels


def find_idx_file(directory, stem):
    """Finds an IDX file in `directory` under its usual names.

    Tries `STEM.gz`, `STEM`, and the variant with a dot before `idx`
    (`train-images.idx3-ubyte`) that some unpacked copies use.

    Returns:
        The path of the first match, or `None`.
    """
    dotted = stem.replace("-idx", ".idx")
    for name in (f"{stem}.gz", stem, f"{dotted}.gz", dotted):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _read_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise IDXFormatError(f"{path}: corrupt gzip data ({e}).") from e


def _parse_header(path, data):
    if len(data) < 4:
        raise IDXFormatError(
            f"{path}: file is {len(data)} bytes long, too short for an IDX "
            "header (4-byte magic number)."
        )
    magic = struct.unpack(">I", data[:4])[0]
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPE_CODES:
        raise IDXFormatError(
            f"{path}: bad IDX magic number 0x{magic:08X}. IDX files start "
            "with two zero bytes, a type code (0x08 = uint8, 0x09, 0x0B, "
            "0x0C, 0x0D, 0x0E) and the number of dimensions, e.g. "
            "0x00000803 for images and 0x00000801 for labels. Is this an "
            "MNIST-format file such as train-images-idx3-ubyte.gz?"
        )
    ndim = data[3]
    if ndim == 0:
        raise IDXFormatError(f"{path}: IDX header declares 0 dimensions.")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise IDXFormatError(
            f"{path}: truncated IDX header: {ndim} dimensions need "
            f"{offset} header bytes, file has {len(data)}."
        )
    dims = struct.unpack(f">{ndim}I", data[4:offset])
    return _TYPE_CODES[data[2]], tuple(int(d) for d in dims), offset


def _check_size(path, data, dims, dtype, offset, count):
    expected = count * dtype.itemsize
    actual = len(data) - offset
    if actual != expected:
        problem = "truncated" if actual < expected else "has trailing data"
        raise IDXFormatError(
            f"{path}: IDX data {problem}: the header declares shape {dims} "
            f"({expected} bytes of {dtype.name}), but the file holds "
            f"{actual} bytes after the header."
        )


def _type_code(dtype):
    big_endian = np.dtype(dtype).newbyteorder(">")
    for code, idx_dtype in _TYPE_CODES.items():
        if big_endian == idx_dtype:
            return code
    raise ValueError(
        f"IDX cannot store dtype {np.dtype(dtype)}; use uint8, int8, int16, "
        "int32, float32 or float64."
    )
