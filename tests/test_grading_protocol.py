"""The grading protocol: every record survives the wire, and what a worker sends is bounded."""

import numpy as np
import pytest

from dlbook.grading.runtime import codec, protocol
from dlbook.grading.runtime.limits import Limits
from dlbook.grading.runtime.protocol import (
    Called,
    Done,
    ErrorInfo,
    ImportFailed,
    Loaded,
    Missing,
    NotCallable,
    Request,
    Source,
    StudentJob,
    Training,
    Verified,
    VerifyJob,
)

ERROR = ErrorInfo("ValueError", "boom", "Traceback ...", reference=True)


@pytest.mark.parametrize("frame", [
    Loaded(("cell 2 raised NameError",)), ImportFailed(ERROR), Missing(("softmax",)),
    NotCallable("int"), Called(0, 0.25, None, [None]), Called(1, 0.5, error=ERROR),
    Called(2, 0.5, unencodable="a builtins.object"), Done(), Verified(result={"params": 3}),
    Verified(failure="could not be rebuilt"),
], ids=lambda frame: type(frame).__name__)
def test_every_frame_a_worker_sends_is_read_back_as_sent(frame):
    assert protocol.decode(protocol.encode(frame)) == frame


def test_a_returned_value_travels_as_data():
    frame = protocol.decode(protocol.encode(Called(0, 0.1, (np.ones(2), 3), [np.zeros(2)])))
    assert isinstance(frame.value, tuple) and np.array_equal(frame.value[0], np.ones(2))
    assert np.array_equal(frame.args_after[0], np.zeros(2))


def test_strings_from_a_worker_are_cut_to_what_a_report_shows():
    long = ErrorInfo("E" * 500, "m" * 10_000, "t" * 10_000)
    error = protocol.decode(protocol.encode(Called(0, 0.1, error=long))).error
    assert (len(error.type), len(error.message), len(error.traceback)) == (100, 2000, 4000)
    notes = protocol.decode(protocol.encode(Loaded(("n" * 1000,) * 50))).notes
    assert len(notes) == 20 and {len(note) for note in notes} == {300}


def test_jobs_and_requests_survive_the_wire():
    source = Source("a.py", "module", "/submission", (("a.py", "def f(x):\n    return x\n"),))
    job = StudentJob(source, "f", ((np.ones(2),), (codec.Fixture("moons_model", {"seed": 7}),)))
    message = codec.decode(codec.encode(job.wire()), resolve_fixture=lambda fixture: fixture)
    back = StudentJob.from_wire(message)
    assert back.source == source and back.function == "f"
    assert np.array_equal(back.calls[0][0], np.ones(2)) and back.calls[1][0] == job.calls[1][0]
    model = codec.KerasModelData("{}", (np.ones(3),))
    verify = VerifyJob(model, train=Training(np.ones((2, 4)), np.zeros(2), "mse", epochs=3))
    back = VerifyJob.from_wire(codec.decode(codec.encode(verify.wire())))
    assert back.train.loss == "mse" and back.train.epochs == 3 and back.accuracy is None
    assert np.array_equal(back.model.weights[0], np.ones(3))
    request = Request("verify", "keras", Limits(wall_s=5.0))
    assert Request.from_json(request.to_json()) == request
    assert protocol.JOBS[request.task] is VerifyJob
