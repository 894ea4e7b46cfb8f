"""Jobs: the queue, the GPU scheduler, engine supervision and the job state machine."""
