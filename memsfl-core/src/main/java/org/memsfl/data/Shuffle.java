package org.memsfl.data;

import java.util.random.RandomGenerator;

/** Fisher-Yates over index arrays, so every seeded shuffle in this package draws the same way. */
final class Shuffle {

    private Shuffle() {
    }

    static int[] permutation(int n, RandomGenerator rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p, rng);
        return p;
    }

    static void shuffle(int[] a, RandomGenerator rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
