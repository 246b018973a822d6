/**
 * The only code that touches JavaCPP and libtorch directly: tensors, scopes, threads, safetensors.
 *
 * <p>Threads per compute dtype ({@link org.memsfl.engine.Engine#threadsFor}). libtorch on CPU runs an fp32 matmul
 * in OpenBLAS, whose own pool is sized by {@code OPENBLAS_NUM_THREADS} (the launcher sets it to the cores), while
 * libtorch's intra-op OpenMP pool runs everything else. A bf16 or fp16 matmul goes to oneDNN instead, which runs on
 * that OpenMP pool. So one setting cannot suit both: with {@code OMP_NUM_THREADS=1} (right for fp32, where a second
 * OpenMP pool would fight OpenBLAS's for the same cores) a bf16 GEMM runs on one core. The engine therefore sets the
 * OpenMP pool when a model is loaded: {@code OMP_NUM_THREADS} (default 1) for fp32, and the same for bf16/fp16
 * ({@code MEMSFL_HALF_OMP_THREADS} overrides), because a whole bf16 LoRA step, whose float32 factors run in OpenBLAS,
 * measured 2.3x faster with one OpenMP thread than with two on this 2-core machine. {@code ./memsfl bench step --omp-threads 1,2} measures both settings
 * for each dtype in one process; README ("Threads", "bf16 step") gives the figures this choice rests on.
 */
package org.memsfl.engine;
