package org.memsfl.lora;

/** Lets tests of other packages give adapters random non-zero values. */
public final class LoraGradientTestSupport {

    private LoraGradientTestSupport() {
    }

    public static AdapterSet randomised(AdapterSet a, long seed) {
        return LoraGradientTest.randomised(a, seed);
    }
}
