package org.memsfl.engine;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.global.torch;

/**
 * Seeded random streams for draws made while training (LoRA dropout). Each device's segment and each device's state
 * on the server owns its own libtorch CPU generator, reseeded at every round from (run seed, stream, round): what a
 * device draws never depends on which other device the server served first, on thread timing, or on a restart.
 */
public final class Rng {

    private Rng() {
    }

    /** A well-mixed 64-bit seed for stream {@code stream} at index {@code index} (e.g. a round) of a run. */
    public static long seed(long runSeed, String stream, long index) {
        long h = 0x9E3779B97F4A7C15L * (runSeed + 1);
        for (byte b : stream.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001B3L;
        }
        h ^= 0xC2B2AE3D27D4EB4FL * (index + 1);
        return new SplittableRandom(h).nextLong() & Long.MAX_VALUE;
    }

    /** A CPU generator that outlives the native scope it is created in (it is freed with its Java object). */
    public static Generator generator(long seed) {
        Generator g = torch.createCPUGenerator(seed);
        g.retainReference();
        return g;
    }
}
