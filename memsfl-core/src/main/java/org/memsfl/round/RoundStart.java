package org.memsfl.round;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.lora.AdapterSet;
import org.memsfl.split.ServerState;

/**
 * A copy of a split server's state when a round opened ({@link RoundGuards#keepRoundStart()}): the global adapters and
 * every server-side state's adapters, AdamW moments and step count (splitlora's shared state once). Rolling a round
 * back (no quorum, the health gate) puts all of it back; a device that restarts mid-round gets its own part back.
 */
final class RoundStart implements AutoCloseable {

    private record StateCopy(AdapterSet adapters, Map<String, Tensor> moments, long steps) {
    }

    private final AdapterSet global;
    private final Map<ServerState, StateCopy> states = new IdentityHashMap<>();

    RoundStart(AdapterSet global, Iterable<ServerState> live) {
        this.global = global.copy();
        for (ServerState st : live) {
            if (!states.containsKey(st)) {
                Map<String, Tensor> m = new LinkedHashMap<>();
                st.optimizer().state().forEach((k, t) -> m.put(k, t.detach().clone()));
                states.put(st, new StateCopy(st.adapters().copy(), m, st.optimizer().steps()));
            }
        }
    }

    /** A copy of the global adapters at the round's start (the caller owns it). */
    AdapterSet global() {
        return global.copy();
    }

    /** Puts one server-side state back to the round's start; false when it was not there then. */
    boolean restore(ServerState st) {
        StateCopy c = states.get(st);
        if (c == null) {
            return false;
        }
        st.adapters().assign(c.adapters());
        st.optimizer().loadState(c.moments(), c.steps());
        return true;
    }

    @Override
    public void close() {
        global.close();
        for (StateCopy c : states.values()) {
            c.adapters().close();
            c.moments().values().forEach(Tensor::close);
        }
        states.clear();
    }
}
