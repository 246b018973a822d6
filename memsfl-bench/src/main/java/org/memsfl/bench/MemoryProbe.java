package org.memsfl.bench;

/** Process memory readings for the benches: let the GC free unreachable tensors, return freed heap, MiB. */
final class MemoryProbe {

    private MemoryProbe() {
    }

    /** Lets the GC run, so that native memory held only by unreachable tensors is freed before a reading. */
    static void settle() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * glibc's {@code malloc_trim(0)}, through JNA (on the classpath via the tokenizer library), found reflectively so
     * the bench needs no declared dependency: returns freed-but-retained heap pages to the OS. True when memory was
     * released, false when none could be, null where it cannot be called (no JNA, not glibc).
     */
    static Boolean mallocTrim() {
        try {
            Class<?> lib = Class.forName("com.sun.jna.NativeLibrary");
            Object c = lib.getMethod("getInstance", String.class).invoke(null, "c");
            Object f = lib.getMethod("getFunction", String.class).invoke(c, "malloc_trim");
            Object r = f.getClass().getMethod("invokeInt", Object[].class).invoke(f, (Object) new Object[] {0});
            return ((Integer) r) != 0;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null;
        }
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
