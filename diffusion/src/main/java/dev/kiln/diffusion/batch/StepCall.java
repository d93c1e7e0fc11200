package dev.kiln.diffusion.batch;

import java.util.List;

/**
 * What one {@link StepBatchExecutor#step()} did.
 *
 * @param rows UNet rows that belonged to requests (0 when nothing ran)
 * @param bucketRows rows the UNet was called with: {@code rows} padded up to the row bucket
 * @param requests requests that took a step
 * @param finished requests whose last step this was (decode them with {@link StepBatchExecutor#decode})
 * @param cancelled requests dropped at this step boundary because their cancellation hook answered true
 * @param nanos wall time of the call: input assembly, UNet, guidance, scheduler steps, listeners
 */
public record StepCall(int rows, int bucketRows, List<RunningRequest> requests, List<RunningRequest> finished,
        List<RunningRequest> cancelled, long nanos) {

    public StepCall {
        requests = List.copyOf(requests);
        finished = List.copyOf(finished);
        cancelled = List.copyOf(cancelled);
    }
}
