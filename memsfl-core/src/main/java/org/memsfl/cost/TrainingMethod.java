package org.memsfl.cost;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.memsfl.util.BadInputException;

/** The five methods of DESIGN.md section 2, under the names the CLI and reports use. */
public enum TrainingMethod {
    MEMSFL("memsfl"),
    SFL_V1("sfl-v1"),
    SPLITLORA("splitlora"),
    FEDLORA("fedlora"),
    CENTRALIZED("centralized");

    private final String id;

    TrainingMethod(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static TrainingMethod of(String id) {
        for (TrainingMethod m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new BadInputException("unknown method '" + id + "'; expected one of "
                + Arrays.stream(values()).map(TrainingMethod::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
