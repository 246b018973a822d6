package org.memsfl.schedule;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One depth-first branch-and-bound tree of {@link Carlier} over one orientation of the instance: either the instance
 * itself or its mirror (releases and tails swapped, orders reversed), which has the same optimum. Trees expand one
 * node per {@link #step} so that {@link Carlier} can interleave the two and share one incumbent.
 */
final class CarlierSearch {

    /** The best order found by any tree, always in the original orientation and evaluated as {@link Schedule#of}. */
    static final class Incumbent {
        private final double[] r;
        private final double[] p;
        private final double[] q;
        double makespan = Double.POSITIVE_INFINITY;
        int[] order;

        Incumbent(double[] r, double[] p, double[] q) {
            this.r = r;
            this.p = p;
            this.q = q;
        }

        void offer(int[] seq) {
            double m = Schedule.makespan(r, p, q, seq);
            if (m < makespan) {
                makespan = m;
                order = seq;
            }
        }
    }

    private record Node(double[] r, double[] q, double lb) {
    }

    private final double[] p;
    private final int[] ids;
    private final boolean mirrored;
    private final ListScheduler scheduler;
    private final double[] completion;
    private final Deque<Node> open = new ArrayDeque<>();

    /**
     * @param r        releases of this orientation (tails of the original when mirrored); not modified
     * @param q        tails of this orientation
     * @param mirrored whether sequences must be reversed to be orders of the original instance
     */
    CarlierSearch(double[] r, double[] p, double[] q, int[] ids, boolean mirrored) {
        this.p = p;
        this.ids = ids;
        this.mirrored = mirrored;
        this.scheduler = new ListScheduler(r.length);
        this.completion = new double[r.length];
        open.push(new Node(r, q, scheduler.preemptive(r, p, q, ids)));
    }

    /** True when no open node can beat {@code ub}: this tree has proved {@code ub} optimal. */
    boolean exhausted(double ub) {
        while (!open.isEmpty() && open.peek().lb >= ub) {
            open.pop();
        }
        return open.isEmpty();
    }

    /** The smallest lower bound among open nodes (a lower bound on the optimum), or {@code ub} if none is open. */
    double lowerBound(double ub) {
        double lb = ub;
        for (Node node : open) {
            lb = Math.min(lb, node.lb);
        }
        return lb;
    }

    /** Expands one node; returns false if there was none to expand. */
    boolean step(Incumbent incumbent) {
        if (exhausted(incumbent.makespan)) {
            return false;
        }
        Node node = open.pop();
        int n = p.length;
        int[] seq = scheduler.schrage(node.r, p, node.q, ids);
        // Branching only delays c or lengthens its tail, so the same order on the original data is never worse than
        // on the node's data: a valid, tighter incumbent.
        incumbent.offer(original(seq));

        double t = 0;
        double f = 0;
        int b = 0;
        for (int k = 0; k < n; k++) {
            int j = seq[k];
            t = Math.max(t, node.r[j]) + p[j];
            completion[k] = t;
            if (t + node.q[j] >= f) { // >= keeps the LAST job attaining the makespan, as Carlier defines b
                f = t + node.q[j];
                b = k;
            }
        }
        if (f <= node.lb) {
            return true; // Schrage met the node's lower bound: nothing below this node beats it
        }
        int a = b;
        while (a > 0 && completion[a - 1] >= node.r[seq[a]]) {
            a--; // no idle time before seq[a]: still inside b's block
        }
        double qb = node.q[seq[b]];
        int c = -1;
        for (int k = b - 1; k >= a; k--) {
            if (node.q[seq[k]] < qb) {
                c = k;
                break;
            }
        }
        if (c < 0) {
            return true; // no job in b's block has a smaller tail than b: Schrage is optimal for this node
        }

        double minR = Double.POSITIVE_INFINITY;
        double minQ = Double.POSITIVE_INFINITY;
        double sumP = 0;
        for (int k = c + 1; k <= b; k++) {
            int j = seq[k];
            minR = Math.min(minR, node.r[j]);
            minQ = Math.min(minQ, node.q[j]);
            sumP += p[j];
        }
        int jc = seq[c];

        double[] rAfter = node.r.clone();
        rAfter[jc] = Math.max(rAfter[jc], minR + sumP);
        Node after = new Node(rAfter, node.q, Math.max(node.lb, scheduler.preemptive(rAfter, p, node.q, ids)));

        double[] qBefore = node.q.clone();
        qBefore[jc] = Math.max(qBefore[jc], minQ + sumP);
        Node before = new Node(node.r, qBefore, Math.max(node.lb, scheduler.preemptive(node.r, p, qBefore, ids)));

        // Depth first, the child with the lower bound on top. Nodes never mutate their arrays, so children share the
        // one they did not change.
        Node first = after.lb <= before.lb ? after : before;
        Node second = first == after ? before : after;
        if (second.lb < incumbent.makespan) {
            open.push(second);
        }
        if (first.lb < incumbent.makespan) {
            open.push(first);
        }
        return true;
    }

    private int[] original(int[] seq) {
        if (!mirrored) {
            return seq;
        }
        int[] reversed = new int[seq.length];
        for (int k = 0; k < seq.length; k++) {
            reversed[k] = seq[seq.length - 1 - k];
        }
        return reversed;
    }
}
