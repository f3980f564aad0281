"""The processes of a run: one, or several under torchrun (DistributedDataParallel), each on its device
with its share of the CPU's threads; and how they stop together on Ctrl-C or SIGTERM."""
import os
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from .config import TrainConfig


@dataclass
class Processes:
    ddp: bool  # several processes (torchrun), each with its own crops, averaging their gradients
    rank: int
    world: int  # how many
    device: torch.device

    @property
    def master(self) -> bool:
        """The process that logs, validates and writes the run folder."""
        return self.rank == 0


def start_processes(cfg: TrainConfig) -> Processes:
    """This process's place in the run, its device and its threads; joins the process group under torchrun."""
    ddp = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if ddp:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    set_threads(cfg, ddp, device)
    return Processes(ddp, rank, world, device)


def set_threads(cfg: TrainConfig, ddp: bool, device: torch.device) -> None:
    """--threads if given. Under torchrun on the CPU, torchrun has set OMP_NUM_THREADS=1 for every
    process, which leaves all but one core per process idle: share this machine's cores among its
    processes instead."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    elif ddp and device.type == "cpu":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        torch.set_num_threads(max(1, cores // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))


def leave_together(procs: Processes) -> None:
    """The ranks leave together: a rank tearing gloo down while rank 0 still writes its checkpoint could
    abort at exit ("terminate called without an active exception"; seen once in 5 runs of the test)."""
    try:  # gloo can time out; NCCL has no monitored_barrier
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(minutes=2))
        else:
            dist.barrier()
    except RuntimeError as e:  # a rank stopped by Ctrl-C alone: leave anyway
        print(f"rank {procs.rank}: not all ranks reached the end ({e})", file=sys.stderr)
    dist.destroy_process_group()


def leave_stopping_to_the_main_process(_worker_id: int) -> None:
    """worker_init_fn of the loader's workers. SIGTERM sent to the whole process group (`pkill -f`,
    `kill -- -PGID`, a job scheduler) would kill a worker mid-step, and the main process would die of
    that with a traceback instead of stopping cleanly after the step. The main process stops on it and
    then shuts its workers down itself (Ctrl-C needs nothing: torch's workers ignore it already)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class StopFlag:
    """Set by SIGTERM or Ctrl-C, read at the end of a step: the run stops between steps, so the final
    checkpoint is a consistent one (a second Ctrl-C interrupts at once). The previous handlers come
    back on restore(); signals can only be caught from the main thread."""

    def __init__(self):
        self.now, self.saved = False, {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.saved[sig] = signal.signal(sig, self.handle)

    def handle(self, sig, frame):
        if self.now and sig == signal.SIGINT:
            raise KeyboardInterrupt
        self.now = True
        print(f"\n{signal.Signals(sig).name}: stopping after this step (Ctrl-C again to stop at once)",
              file=sys.stderr)

    def agreed(self, ddp: bool, device) -> bool:
        """Under DDP every process must leave after the same step, or the others wait forever in the
        gradient all-reduce: the flag is all-reduced (any process stopping stops all)."""
        if not ddp:
            return self.now
        flag = torch.tensor([float(self.now)], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def restore(self):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
