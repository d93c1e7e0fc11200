/**
 * Dynamic batching for the GPU worker: merges queued jobs that can share one denoising loop
 * (same {@link dev.kiln.worker.batching.CompatibilityKey}) into batches of at most
 * {@link dev.kiln.worker.batching.BatchingPolicy#maxBatchImages()} images, waiting at most
 * {@link dev.kiln.worker.batching.BatchingPolicy#maxWaitMillis()} for a batch to fill, in the
 * manner of Triton's {@code dynamic_batching}.
 *
 * <p>Pure Java and JDK concurrency: no Kafka, Redis or Quarkus here, so the worker service wires
 * its own job type, configuration and metrics around it. See {@code docs/batching.md}.
 */
package dev.kiln.worker.batching;
