package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memsfl.engine.DType;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.grpc.proto.RegisterRequest;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RoundSettings;
import org.memsfl.split.WireFormat;
import org.memsfl.util.BadInputException;

/** The Register rpc's messages at the border: records round-trip through the protos, and bad messages stop there. */
class RegistrationCodecTest {

    static final TrainingTerms TERMS = new TrainingTerms(5, new LoraConfig(4, 8, 0.1, List.of("q", "v")), "stories260K",
            "stories260K", Map.of("layers.0.wq", "ab12"), new RoundSettings(3, 2, 3e-3, 1, 1.0, 7), 2, 48, "dirichlet:0.5",
            3, WireFormat.BF16, 1 << 20, Duration.ofSeconds(90), Duration.ofMinutes(20), DType.BF16, "plain", "");

    @Test
    void anAssignmentRoundTripsThroughItsProto() {
        DeviceAssignment a = new DeviceAssignment("phone-a", 2, "cut 2 of 5 set by the server (cut)", TERMS);
        Assignment wire = RegistrationCodec.toProto(a);
        assertThat(wire.getCutLayer()).isEqualTo(2);
        assertThat(wire.getStepTimeoutMs()).isEqualTo(90_000);
        assertThat(RegistrationCodec.assignment(wire)).isEqualTo(a);
    }

    @Test
    void anAssignmentThisDeviceCannotTrainWithNamesItsField() {
        Assignment wire = RegistrationCodec.toProto(new DeviceAssignment("phone-a", 2, "", TERMS));
        assertThatThrownBy(() -> RegistrationCodec.assignment(wire.toBuilder().setCutLayer(5).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("cut_layer 5 is out of range");
        assertThatThrownBy(() -> RegistrationCodec.assignment(wire.toBuilder().setBatchSize(0).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("batch_size must be > 0, got 0");
        assertThatThrownBy(() -> RegistrationCodec.assignment(wire.toBuilder().setComputeDtype("F64").build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("compute_dtype is F64");
        assertThatThrownBy(() -> RegistrationCodec.assignment(wire.toBuilder().setSeqLen(-1).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("seq_len 4294967295 is out of range");
        // 0 leaves a timeout at the protocol's default
        assertThat(RegistrationCodec.assignment(wire.toBuilder().setStepTimeoutMs(0).build()).terms().stepTimeout())
                .isEqualTo(RegistrationCodec.DEFAULT_STEP_TIMEOUT);
    }

    @Test
    void aRegistrationRoundTripsAndABadRequestStopsAtTheBorder() {
        DeviceRegistration r = new DeviceRegistration(new DeviceProfile("phone-a", 2L << 30, 1e12, 2.5e6, 1.25e7, 0.03), 1);
        RegisterRequest req = RegistrationCodec.toProto(r);
        assertThat(RegistrationCodec.registration(req, "phone-a")).isEqualTo(r);
        refused(req, "phone-b", Status.Code.PERMISSION_DENIED, "differs from the authenticated device id 'phone-b'");
        refused(req.toBuilder().setProtocolVersion(2).build(), "phone-a", Status.Code.FAILED_PRECONDITION,
                "protocol version 2 is newer");
        refused(req.toBuilder().setPartitionIndex(-1).build(), "phone-a", Status.Code.INVALID_ARGUMENT,
                "partition_index 4294967295 is out of range");
        refused(req.toBuilder().setProfile(req.getProfile().toBuilder().setLatencySeconds(-1)).build(), "phone-a",
                Status.Code.INVALID_ARGUMENT, "profile: device phone-a latencySeconds");
    }

    private static void refused(RegisterRequest req, String authenticated, Status.Code code, String message) {
        assertThatThrownBy(() -> RegistrationCodec.registration(req, authenticated))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(code);
                    assertThat(e.getStatus().getDescription()).contains(message);
                });
    }
}
