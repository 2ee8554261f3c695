"""adam_ref.datasets.load_digits: the shipped UCI digits, checked against what the data
set documents, and clear errors (never a crash or a silent success) on a damaged file."""

import gzip
import importlib.resources

import numpy as np
import pytest

from adam_ref.datasets import DIGITS_CITATION, DIGITS_LICENSE, load_digits

# The UCI description (optdigits.names) lists, for the test partition of 1,797 images:
# "0: 178 1: 182 2: 177 3: 183 4: 181 5: 182 6: 181 7: 179 8: 174 9: 180"
UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_shapes_and_dtypes(digits):
    X, y = digits
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.flags.writeable and y.flags.writeable


def test_class_counts_are_those_the_data_set_documents(digits):
    assert np.bincount(digits[1], minlength=10).tolist() == UCI_TEST_COUNTS


def test_pixels_are_whole_counts_from_0_to_16(digits):
    X = digits[0]
    assert np.array_equal(X, np.round(X))
    assert X.min() == 0 and X.max() == 16
    assert set(np.unique(X)) == set(range(17))  # every count occurs


def test_pixel_statistics(digits):
    X = digits[0].reshape(-1, 8, 8)
    # the 4x4 blocks of the left and right borders are almost always empty, the centre rarely
    assert X[:, :, 0].mean() < 1 and X[:, :, -1].mean() < 1
    assert X[:, 2:6, 2:6].mean() > 5
    # pixel (0, 0) is blank in every image (the normalised bitmaps never reach the corner)
    assert np.all(X[:, 0, 0] == 0)
    # the mean count over all pixels is about 4.9: roughly 30 % of the 1024 bitmap pixels are on
    assert 4.5 < X.mean() < 5.3


def test_the_first_image_is_a_zero(digits):
    X, y = digits
    assert y[0] == 0
    image = X[0].reshape(8, 8)
    # a zero: an empty middle, ink left and right of it
    assert image[3:5, 3:5].mean() < image[3:5, [2, 5]].mean()


def test_a_copy_of_the_file_reads_the_same(tmp_path, digits):
    raw = importlib.resources.files("adam_ref").joinpath("data", "digits.csv.gz").read_bytes()
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(raw)
    X, y = load_digits(path)
    assert np.array_equal(X, digits[0]) and np.array_equal(y, digits[1])
    X[0, 0] = 99  # each call returns its own arrays
    assert load_digits()[0][0, 0] == 0


def test_citation_and_licence_are_stated():
    assert "10.24432/C50P49" in DIGITS_CITATION and "Alpaydin" in DIGITS_CITATION
    assert "CC BY 4.0" in DIGITS_LICENSE


def _text():
    raw = importlib.resources.files("adam_ref").joinpath("data", "digits.csv.gz").read_bytes()
    return gzip.decompress(raw).decode("ascii")


def _write(tmp_path, text=None, raw=None):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(raw if raw is not None else gzip.compress(text.encode("ascii")))
    return path


@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:-1], "has 1796 lines, expected 1797"),
    (lambda lines: lines + lines[:1], "has 1798 lines, expected 1797"),
    (lambda lines: [lines[0] + ",3"] + lines[1:], "line 1 .* has 66 values, expected 65"),
    (lambda lines: lines[:5] + [lines[5].rsplit(",", 1)[0]] + lines[6:], "line 6 .* has 64 values"),
    (lambda lines: lines[:2] + [lines[2].replace("0", "x", 1)] + lines[3:], "'x'.* not a non-negative"),
    (lambda lines: lines[:9] + ["17" + lines[9][1:]] + lines[10:], "line 10 .* pixel outside 0..16"),
    (lambda lines: lines[:3] + [lines[3].rsplit(",", 1)[0] + ",12"] + lines[4:], "line 4 .* class 12"),
])
def test_a_damaged_file_is_refused_naming_the_problem(tmp_path, damage, message):
    lines = _text().split()
    path = _write(tmp_path, "\n".join(damage(lines)) + "\n")
    with pytest.raises(ValueError, match=message):
        load_digits(path)


def test_a_file_that_is_not_gzip_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a readable gzip file"):
        load_digits(_write(tmp_path, raw=b"0,1,2\n"))
    raw = importlib.resources.files("adam_ref").joinpath("data", "digits.csv.gz").read_bytes()
    with pytest.raises(ValueError, match="not a readable gzip file"):
        load_digits(_write(tmp_path, raw=raw[: len(raw) // 2]))  # truncated


def test_non_ascii_and_oversized_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not ASCII"):
        load_digits(_write(tmp_path, raw=gzip.compress("0,1,é\n".encode("utf-8"))))
    # a small file that inflates past the bound is stopped at the bound, not read whole
    with pytest.raises(ValueError, match="more than"):
        load_digits(_write(tmp_path, raw=gzip.compress(b"0" * (5 * 2**20))))


def test_a_bad_path_type_is_a_type_error():
    with pytest.raises(TypeError, match="path must be a str"):
        load_digits(3)
