import pytest
import torch


@pytest.fixture(autouse=True, scope="package")
def one_thread():
    """The model tests use tiny tensors: one thread is faster, and far faster when other work
    shares the CPU (OpenMP threads then wait on each other)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
