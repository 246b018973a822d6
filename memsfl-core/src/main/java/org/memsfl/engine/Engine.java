package org.memsfl.engine;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Process-wide engine setup. libtorch's OpenMP pool and OpenBLAS's own pool fight over the cores unless one of
 * them is held to a single thread (DESIGN.md section 4 measured a 3x slower step otherwise), so OpenBLAS gets the
 * cores and OpenMP one thread. The launcher sets {@code OPENBLAS_NUM_THREADS}/{@code OMP_NUM_THREADS}; this class
 * applies the same setting programmatically for tests and embedders, before the first op.
 */
public final class Engine {

    private static volatile boolean initialised;
    private static boolean warned;

    private Engine() {
    }

    /** Loads natives and configures threads once; safe to call from anywhere, any number of times. */
    public static void init() {
        if (initialised) {
            return;
        }
        synchronized (Engine.class) {
            if (initialised) {
                return;
            }
            // OpenBLAS reads its thread count from the environment when it loads; the binding exposes no setter.
            if (System.getenv("OPENBLAS_NUM_THREADS") == null && !warned) {
                warned = true;
                System.err.println("memsfl: OPENBLAS_NUM_THREADS is not set; run through ./memsfl (or set it to the core"
                        + " count and OMP_NUM_THREADS=1) or steps may be 3x slower");
            }
            Loader.load(torch.class);
            torch.set_num_threads(envInt("OMP_NUM_THREADS", 1));
            initialised = true;
        }
    }

    /**
     * Sets libtorch's intra-op (OpenMP) threads for computing in {@code dtype}, and returns the count. Float32
     * GEMMs run in OpenBLAS on its own threads ({@code OPENBLAS_NUM_THREADS}, read once at load), and OpenMP threads
     * beside them only fight for the cores: OpenMP gets {@code OMP_NUM_THREADS} (the launcher's 1). bf16 and fp16
     * GEMMs run in oneDNN on the OpenMP threads; a bare bf16 GEMM runs faster on every core, but a LoRA step also
     * runs its float32 factors in OpenBLAS, and on this 2-core machine the whole bf16 step at the Llama-3.2-1B shape
     * took 2.17 s with 1 OpenMP thread against 5.06 s with 2 (quiet machine, README "Threads"). So half precision
     * also gets {@code OMP_NUM_THREADS} unless {@code MEMSFL_HALF_OMP_THREADS} says otherwise.
     */
    public static int threadsFor(DType dtype) {
        init();
        int fp32 = envInt("OMP_NUM_THREADS", 1);
        int n = dtype == DType.BF16 || dtype == DType.F16 ? envInt("MEMSFL_HALF_OMP_THREADS", fp32) : fp32;
        if (torch.get_num_threads() != n) {
            torch.set_num_threads(n);
        }
        return n;
    }

    /** Seeds libtorch's global generator (dropout, random init); Java-side randomness is seeded by its callers. */
    public static void seed(long seed) {
        init();
        torch.manual_seed(seed);
    }

    /** Threads OpenBLAS uses for GEMM, as configured through the environment. */
    public static int blasThreads() {
        return envInt("OPENBLAS_NUM_THREADS", Runtime.getRuntime().availableProcessors());
    }

    /** libtorch's intra-op thread count. */
    public static int torchThreads() {
        init();
        return torch.get_num_threads();
    }

    /** libtorch version string as built into the natives. */
    public static String torchVersion() {
        return "2.10.0";
    }

    private static int envInt(String name, int fallback) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Math.max(1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
