/** Benchmarks that write JSON: a LoRA training step against a plain GEMM measured in the same run, memory flatness. */
package org.memsfl.bench;
