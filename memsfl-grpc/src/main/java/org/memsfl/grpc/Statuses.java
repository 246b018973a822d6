package org.memsfl.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.memsfl.round.RoundRefusal;

/** The round's refusals as the gRPC statuses a device sees (the message passes unchanged). */
final class Statuses {

    private Statuses() {
    }

    static StatusRuntimeException of(Status st, String description) {
        return st.withDescription(description).asRuntimeException();
    }

    static StatusRuntimeException of(RoundRefusal r) {
        Status st = switch (r.kind()) {
            case ALREADY_DONE -> Status.ALREADY_EXISTS;
            case INVALID -> Status.INVALID_ARGUMENT;
            case EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case PRECONDITION -> Status.FAILED_PRECONDITION;
        };
        return of(st, r.getMessage());
    }
}
