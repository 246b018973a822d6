package org.memsfl.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memsfl.fed.Aggregators;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.schedule.DeviceTiming;
import org.memsfl.schedule.Policies;
import org.memsfl.schedule.RoundSimulator;
import org.memsfl.schedule.ServerSlot;
import org.memsfl.sim.SimContext;
import org.memsfl.sim.method.RoundOutcome;
import org.memsfl.sim.method.SplitFederatedMethod;
import org.memsfl.sim.method.SplitFederatedMethod.Variant;

/**
 * The simulator serves its real training steps in the order of its simulated round, and that round is the one online
 * dispatcher's ({@code schedule.StepDispatcher}) over the predicted arrivals: the recorded serve order is the order of
 * the round's slots, for every policy, and no step is served before it could have arrived.
 */
class ServedRoundTest {

    static SimContext ctx;

    @BeforeAll
    static void context() {
        ctx = new SimContext(ExperimentTest.settings());
    }

    @AfterAll
    static void close() {
        ctx.close();
    }

    @Test
    void everyPolicyServesTheOrderOfItsSimulatedRound() {
        for (String policy : Policies.NAMES) {
            try (SplitFederatedMethod m = new SplitFederatedMethod(Variant.MEMSFL, ctx, Aggregators.of("fedavg"),
                    Policies.of(policy))) {
                for (int r = 1; r <= 2; r++) {
                    RoundOutcome o = m.round(r);
                    assertThat(o.schedule()).as(policy).isNotNull();
                    assertThat(o.schedule().policy()).isEqualTo(policy);
                    assertThat(o.serveOrder()).as("%s round %d", policy, r).hasSize(5 * ctx.settings().localSteps())
                            .containsExactlyElementsOf(o.schedule().serveOrder());
                    // the round's seconds are the served round's plus the adapter exchange
                    assertThat(o.simRoundTimeS()).isGreaterThan(o.schedule().roundTime());
                    checkOnline(o);
                }
            }
        }
    }

    /** splitlora's one shared server serves first come, first served, in its simulated round's order too. */
    @Test
    void splitLoraServesItsFcfsRoundAndSflV1HasNoOrderToChoose() {
        try (SplitFederatedMethod m = new SplitFederatedMethod(Variant.SPLITLORA, ctx, Aggregators.of("client-only"),
                Policies.of("fcfs"))) {
            RoundOutcome o = m.round(1);
            assertThat(o.schedule().policy()).isEqualTo("fcfs");
            assertThat(o.serveOrder()).containsExactlyElementsOf(o.schedule().serveOrder());
            checkOnline(o);
        }
        try (SplitFederatedMethod m = new SplitFederatedMethod(Variant.SFL_V1, ctx, Aggregators.of("fedavg"),
                Policies.of("exact"))) {
            RoundOutcome o = m.round(1);
            assertThat(o.schedule()).isNull();
            assertThat(o.simRoundTimeS()).isNaN();
            assertThat(o.serveOrder()).hasSize(5 * ctx.settings().localSteps());
        }
    }

    /**
     * Schrage among the steps that have arrived, not among every device's step at once: the first step served is the
     * first to arrive, although another device's step has a longer tail (the simulator once offered every device's
     * step k together, so Schrage served the device with the longest tail first, before its step could have arrived).
     */
    @Test
    void schrageServesFirstTheFirstArrivalNotTheLongestTail() {
        Map<String, DeviceTiming> timings = new LinkedHashMap<>();
        for (DeviceProfile d : ctx.participants()) {
            timings.put(d.id(), ctx.delayModel().step(d, ctx.fleet().server(), ctx.cuts().get(d.id()),
                    ctx.settings().serverRecompute()));
        }
        String first = timings.keySet().stream().min(Comparator.comparingDouble(id -> timings.get(id).release()))
                .orElseThrow();
        String longestTail = timings.keySet().stream().max(Comparator.comparingDouble(id -> timings.get(id).tail()))
                .orElseThrow();
        assertThat(longestTail).as("the fleet gives Schrage a choice that arrival order does not").isNotEqualTo(first);
        try (SplitFederatedMethod m = new SplitFederatedMethod(Variant.MEMSFL, ctx, Aggregators.of("fedavg"),
                Policies.of("schrage"))) {
            RoundOutcome o = m.round(1);
            assertThat(o.serveOrder().get(0)).isEqualTo(first + ":1");
            // and the slot times are those of the delay model's timings
            ServerSlot s0 = o.schedule().slots().get(0);
            assertThat(s0.release()).isEqualTo(timings.get(first).release());
            assertThat(s0.duration()).isEqualTo(timings.get(first).processing(),
                    org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    /** Each device's steps in order, none served before it arrived, and the server never idle while one waits. */
    private static void checkOnline(RoundOutcome o) {
        double free = 0;
        Map<String, Integer> next = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < o.schedule().slots().size(); i++) {
            ServerSlot s = o.schedule().slots().get(i);
            String id = o.schedule().devices().get(s.device());
            assertThat(s.step()).isEqualTo(next.getOrDefault(id, 0));
            next.merge(id, 1, Integer::sum);
            assertThat(s.start()).isEqualTo(Math.max(free, s.release()));
            free = s.end();
            order.add(id + ":" + (s.step() + 1));
        }
        assertThat(o.serveOrder()).containsExactlyElementsOf(order);
        assertThat(o.schedule().mode()).isEqualTo(RoundSimulator.Mode.PIPELINED);
    }
}
