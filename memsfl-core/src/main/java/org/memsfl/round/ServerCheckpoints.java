package org.memsfl.round;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.lora.AdapterSet;
import org.memsfl.split.ServerState;
import org.memsfl.train.AdamW;

/** {@link SplitServer}'s typed checkpoint state, taken and restored (kept apart to keep the round's class small). */
final class ServerCheckpoints {

    private ServerCheckpoints() {
    }

    static ServerCheckpoint of(SplitServer srv, Map<String, AdapterSet> next) {
        List<ServerCheckpoint.Device> ds = new ArrayList<>();
        for (ServerDevice d : srv.devices.values()) {
            ServerState st = srv.segment.state(d.id());
            ds.add(new ServerCheckpoint.Device(d.id(), d.cut(), d.missedRounds(), d.missedLast(),
                    st.optimizer().steps(), st.adapters(), st.optimizer().state(), next.get(d.id())));
        }
        return new ServerCheckpoint(srv.round, ds, srv.global);
    }

    /** Registers every device of {@code c} with its server-side state, then takes its global set and round. */
    static void restore(SplitServer srv, ServerCheckpoint c, ToLongFunction<String> maxExamples) {
        if (!srv.devices.isEmpty()) {
            throw new IllegalStateException("restore needs a server without registrations");
        }
        for (ServerCheckpoint.Device d : c.devices()) {
            AdamW opt = new AdamW(d.serverSide().namedParameters(), AdamW.Settings.defaults());
            opt.loadState(d.optimizer(), d.serverSteps());
            d.optimizer().values().forEach(Tensor::close);
            srv.segment.register(d.id(), new ServerState(d.cut(), srv.model, d.serverSide(), opt));
            ServerDevice dev = new ServerDevice(d.id(), d.cut(), maxExamples.applyAsLong(d.id()), d.next().copy());
            dev.restore(d.missedRounds(), d.missedLast());
            srv.devices.put(d.id(), dev);
        }
        srv.closeGlobal();
        srv.global = c.global();
        srv.globalSharesServerSide = false;
        srv.round = c.completedRound();
    }
}
