/**
 * Benchmarks that write JSON: a LoRA training step per compute dtype against a GEMM of that dtype measured in the
 * same run ({@link org.memsfl.bench.StepBench}, behind {@code ./memsfl bench step}), server and device memory in child
 * JVMs. Hand-written rather than JMH: each measures a whole training step or process, with its peak RSS, not a
 * micro-operation.
 */
package org.memsfl.bench;
