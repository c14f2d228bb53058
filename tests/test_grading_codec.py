"""The wire format between a worker and the grader: plain data only, never pickle."""

import json
import pickle

import numpy as np
import pytest

from dlbook.grading.runtime import codec


@pytest.mark.parametrize("value", [
    None, True, 3, -2**70, 1.5, float("inf"), "text",
    [1, [2.0, None]], (1, "a"), {"loss": 0.5, "grads": [np.ones(3)]},
    np.arange(6.0).reshape(2, 3), np.array([1, 2], dtype=np.int32), np.float32(2.5),
    np.zeros((0, 4)), np.array([True, False]),
])
def test_values_survive_the_round_trip(value):
    back = codec.decode(codec.encode(value))
    assert type(back) is type(value) or isinstance(value, np.generic)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, np.generic):
        assert back.dtype == value.dtype and back == value
    elif isinstance(value, dict):
        assert back.keys() == value.keys() and np.array_equal(back["grads"][0], np.ones(3))
    else:
        assert back == value


def test_nan_travels_as_nan():
    assert np.isnan(codec.decode(codec.encode(float("nan"))))


def test_the_message_holds_no_pickle():
    message = codec.encode({"a": np.ones(3), "b": [1.0, "x"]})
    assert message.startswith(codec.MAGIC)
    assert b"\x80\x04" not in message  # the pickle protocol-4 opcode
    header_length = int.from_bytes(message[4:8], "big")
    assert json.loads(message[8:8 + header_length])["arrays"] == 1


@pytest.mark.parametrize("value, where", [
    (object(), "value is a builtins.object"),
    ([1, {"k": lambda: 1}], "value[1]['k'] is a builtins.function"),
    (np.array([None, 1]), "dtype object"),
    ({1: 2}, "keys must be str"),
])
def test_what_is_not_data_is_refused_with_where_it_is(value, where):
    with pytest.raises(codec.EncodeError, match=where.replace("[", r"\[").replace("(", r"\(")):
        codec.encode(value)


def test_nesting_is_bounded():
    deep = []
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(codec.EncodeError, match="nested"):
        codec.encode(deep)


def test_subclasses_are_sent_as_their_plain_values():
    class Liar(float):
        def __eq__(self, other):
            return True

    class LyingArray(np.ndarray):
        def __eq__(self, other):
            return True

    back = codec.decode(codec.encode([Liar(0.25), np.zeros(2).view(LyingArray)]))
    assert type(back[0]) is float and back[0] == 0.25
    assert type(back[1]) is np.ndarray and not (back[1] == np.ones(2)).any()


def test_a_faked_class_attribute_does_not_pass_for_an_array():
    class Pretend:
        @property
        def __class__(self):
            return np.ndarray

    assert isinstance(Pretend(), np.ndarray)
    with pytest.raises(codec.EncodeError, match="Pretend"):
        codec.encode(Pretend())


def test_fixtures_are_built_only_where_a_resolver_is_given():
    message = codec.encode((codec.Fixture("quadratic_gradient", {"A": np.eye(2)}),))
    with pytest.raises(codec.DecodeError, match="fixture"):
        codec.decode(message)
    built = codec.decode(message, resolve_fixture=lambda f: (f.target, f.kwargs["A"].shape))
    assert built == (("quadratic_gradient", (2, 2)),)


def test_keras_model_data_round_trips():
    data = codec.KerasModelData('{"class_name": "Sequential"}', (np.ones((2, 3)), np.zeros(3)))
    back = codec.decode(codec.encode(data))
    assert back.config == data.config and [w.shape for w in back.weights] == [(2, 3), (3,)]


@pytest.mark.parametrize("message, reason", [
    (b"nope", "not a dlbook grading message"),
    (codec.MAGIC + (5).to_bytes(4, "big") + b"{bad}", "unreadable message header"),
    (codec.encode(np.ones(2))[:-3], "ends inside an array"),
    (codec.MAGIC + (22).to_bytes(4, "big") + b'{"value": {"array": 0},', "unreadable"),
    (codec.encode([1])[:8] + codec.encode([1])[8:].replace(b'"list"', b'"lost"'), "malformed"),
])
def test_malformed_messages_raise_decode_errors(message, reason):
    with pytest.raises(codec.DecodeError, match=reason):
        codec.decode(message)


def test_a_pickled_array_is_refused():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    blob = buffer.getvalue()
    header = json.dumps({"value": {"array": 0}, "arrays": 1}).encode()
    message = (codec.MAGIC + len(header).to_bytes(4, "big") + header
               + len(blob).to_bytes(8, "big") + blob)
    with pytest.raises(codec.DecodeError, match="array of Python objects"):
        codec.decode(message)
    assert pickle.dumps(1)  # pickle itself is fine; it is just never used here


def test_frames_written_before_a_crash_can_be_read(tmp_path):
    path = tmp_path / "frames"
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    codec.write_frame(fd, {"event": "loaded"})
    codec.write_frame(fd, {"event": "call", "index": 0, "value": np.ones(2)})
    os.close(fd)
    data = path.read_bytes()
    frames = codec.split_frames(data + data[:20])  # a third frame cut short
    assert [codec.decode(f)["event"] for f in frames] == ["loaded", "call"]
