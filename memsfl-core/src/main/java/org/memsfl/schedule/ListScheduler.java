package org.memsfl.schedule;

/**
 * Allocation-free Schrage sequence and preemptive (Jackson) bound on primitive arrays, for the branch and bound's
 * inner loop, which runs both at every node.
 *
 * <p>Ready jobs sit in a binary heap ordered by largest tail, then earliest release, then smaller id, then smaller
 * position. Jobs are scanned by release through an index array that is re-sorted by insertion sort at every call:
 * consecutive calls differ in one or two releases, so the array is nearly sorted and the sort is close to linear.
 *
 * <p>Not thread-safe: one instance per search.
 */
final class ListScheduler {

    private final int[] byRelease;
    private final int[] heap;
    private final double[] remaining;
    private int size;
    private double[] r;
    private double[] q;
    private int[] ids;

    ListScheduler(int n) {
        byRelease = new int[n];
        for (int j = 0; j < n; j++) {
            byRelease[j] = j;
        }
        heap = new int[n];
        remaining = new double[n];
    }

    /** Schrage's sequence (positions): at each free moment the released job with the largest tail. */
    int[] schrage(double[] r, double[] p, double[] q, int[] ids) {
        use(r, q, ids);
        int n = byRelease.length;
        int[] seq = new int[n];
        double t = 0;
        int next = 0;
        for (int out = 0; out < n; out++) {
            if (size == 0 && t < r[byRelease[next]]) {
                t = r[byRelease[next]]; // idle until the next release
            }
            while (next < n && r[byRelease[next]] <= t) {
                push(byRelease[next++]);
            }
            int j = pop();
            seq[out] = j;
            t = Math.max(t, r[j]) + p[j];
        }
        return seq;
    }

    /** Makespan of Jackson's preemptive schedule: a lower bound on every non-preemptive one. */
    double preemptive(double[] r, double[] p, double[] q, int[] ids) {
        use(r, q, ids);
        int n = byRelease.length;
        System.arraycopy(p, 0, remaining, 0, n);
        double t = 0;
        double bound = 0;
        int next = 0;
        int done = 0;
        while (done < n) {
            if (size == 0) {
                t = Math.max(t, r[byRelease[next]]);
            }
            while (next < n && r[byRelease[next]] <= t) {
                push(byRelease[next++]);
            }
            int j = pop();
            double nextRelease = next < n ? r[byRelease[next]] : Double.POSITIVE_INFINITY;
            if (t + remaining[j] <= nextRelease) {
                t += remaining[j];
                bound = Math.max(bound, t + q[j]);
                done++;
            } else {
                // Run j up to the next release; the heap then decides whether an arrival with a larger tail preempts.
                remaining[j] -= nextRelease - t;
                t = nextRelease;
                push(j);
            }
        }
        return bound;
    }

    private void use(double[] r, double[] q, int[] ids) {
        this.r = r;
        this.q = q;
        this.ids = ids;
        size = 0;
        for (int i = 1; i < byRelease.length; i++) {
            int j = byRelease[i];
            int k = i - 1;
            while (k >= 0 && (r[byRelease[k]] > r[j] || (r[byRelease[k]] == r[j] && byRelease[k] > j))) {
                byRelease[k + 1] = byRelease[k];
                k--;
            }
            byRelease[k + 1] = j;
        }
    }

    /** True when job a should be served before job b. */
    private boolean before(int a, int b) {
        if (q[a] != q[b]) {
            return q[a] > q[b];
        }
        if (r[a] != r[b]) {
            return r[a] < r[b];
        }
        if (ids[a] != ids[b]) {
            return ids[a] < ids[b];
        }
        return a < b;
    }

    private void push(int j) {
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(j, heap[parent])) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = j;
    }

    private int pop() {
        int top = heap[0];
        int last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && before(heap[child + 1], heap[child])) {
                child++;
            }
            if (!before(heap[child], last)) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) {
            heap[i] = last;
        }
        return top;
    }
}
