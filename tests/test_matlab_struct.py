"""Streaming one cell of a MATLAB struct (DREAMER.mat's layout) gives what scipy's whole-file
load gives, for compressed and uncompressed files, and damaged files are named."""

import numpy as np
import pytest
import scipy.io

from layouts import write_simulated
from seedflow.errors import DatasetError
from seedflow.datasets.matlab_struct import Outline, read_outline, read_struct_fields


@pytest.fixture(scope="module")
def dreamer_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("dreamer")
    write_simulated(root, "dreamer", subjects=3, trials_per_session=3)
    compressed = root / "DREAMER.mat"
    plain = root / "plain.mat"
    mat = scipy.io.loadmat(compressed)
    scipy.io.savemat(plain, {"before": np.arange(5.0), "DREAMER": mat["DREAMER"],
                             "after": "x"}, do_compression=False)
    return compressed, plain


@pytest.mark.parametrize("which", [0, 1])
def test_one_subject_equals_scipys_whole_load(dreamer_files, which):
    path = dreamer_files[which]
    whole = scipy.io.loadmat(path, simplify_cells=True)["DREAMER"]
    for subject in range(3):
        got = read_struct_fields(path, "DREAMER", ("EEG_SamplingRate", "EEG_Electrodes"),
                                 {"Data": subject})
        assert got["EEG_SamplingRate"] == whole["EEG_SamplingRate"]
        assert list(got["EEG_Electrodes"]) == list(whole["EEG_Electrodes"])
        want = whole["Data"][subject]
        assert got["Data"].keys() == want.keys()
        for k, trial in enumerate(want["EEG"]["stimuli"]):
            np.testing.assert_array_equal(got["Data"]["EEG"]["stimuli"][k], trial)
        np.testing.assert_array_equal(got["Data"]["ScoreValence"], want["ScoreValence"])
    assert "Data" not in read_struct_fields(path, "DREAMER", (), {"Data": 3})


def test_damaged_files_are_named(dreamer_files, tmp_path):
    compressed, plain = dreamer_files
    for source in (compressed, plain):
        cut = tmp_path / "cut.mat"
        cut.write_bytes(source.read_bytes()[:source.stat().st_size * 2 // 3])
        with pytest.raises(DatasetError, match="cut.mat: truncated MATLAB file"):
            read_struct_fields(cut, "DREAMER", ("EEG_Electrodes",), {"Data": 2})
    with pytest.raises(DatasetError, match="plain.mat: cannot read MATLAB file .no variable "
                                           "'OTHER'"):
        read_struct_fields(plain, "OTHER", (), {})
    with pytest.raises(DatasetError, match="plain.mat: .*'after' is not a 1 x 1 struct"):
        read_struct_fields(plain, "after", (), {})


@pytest.mark.parametrize("which", [0, 1])
def test_outline_keeps_small_values_and_the_shapes_of_large_arrays(dreamer_files, which):
    path = dreamer_files[which]
    whole = scipy.io.loadmat(path, simplify_cells=True)["DREAMER"]
    outline = read_outline(path, "DREAMER", max_bytes=2000)
    assert outline["EEG_SamplingRate"] == whole["EEG_SamplingRate"]
    assert list(outline["EEG_Electrodes"]) == list(whole["EEG_Electrodes"])
    assert len(outline["Data"]) == 3
    for got, want in zip(outline["Data"], whole["Data"]):
        np.testing.assert_array_equal(got["ScoreArousal"], want["ScoreArousal"])
        assert got["Gender"] == want["Gender"]
        for trial, array in zip(got["EEG"]["stimuli"], want["EEG"]["stimuli"]):
            assert trial == Outline(array.shape)  # too large: only its dimensions
    # with room for everything, the outline is scipy's load
    full = read_outline(path, "DREAMER", max_bytes=1 << 30)
    np.testing.assert_array_equal(full["Data"][2]["EEG"]["stimuli"][1],
                                  whole["Data"][2]["EEG"]["stimuli"][1])


def test_outline_of_a_damaged_file_is_named(dreamer_files, tmp_path):
    compressed, _ = dreamer_files
    cut = tmp_path / "cut.mat"
    cut.write_bytes(compressed.read_bytes()[:compressed.stat().st_size // 2])
    with pytest.raises(DatasetError, match="cut.mat: truncated MATLAB file"):
        read_outline(cut, "DREAMER", max_bytes=2000)
