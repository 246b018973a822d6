package org.memsfl.sim.method;

import java.util.List;
import org.memsfl.util.BadInputException;

/** The registry: every method the simulator can run, in the order runs and reports list them. */
public final class Methods {

    /** Ours (Chen et al. 2025). */
    public static final MethodSpec OURS = new MemsflSpec();

    /** Every method, ours first; one line each. */
    public static final List<MethodSpec> ALL = List.of(OURS, new SflV1Spec(), new SplitLoraSpec(), new FedLoraSpec(),
            new CentralizedSpec());

    private Methods() {
    }

    /** The methods' ids in registry order. */
    public static List<String> ids() {
        return ALL.stream().map(MethodSpec::id).toList();
    }

    /** @throws BadInputException naming the known ids when {@code id} is not one */
    public static MethodSpec of(String id) {
        for (MethodSpec m : ALL) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        throw new BadInputException("unknown method '" + id + "'; expected one of " + String.join(", ", ids()));
    }

    /** Looks a method up by id, null when none has it (for reports read from another run's files). */
    public static MethodSpec find(String id) {
        return ALL.stream().filter(m -> m.id().equals(id)).findFirst().orElse(null);
    }
}
